package dev.herd.listen;

import dev.herd.os.BpfInstruction;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds the classic BPF program that makes a SO_REUSEPORT group sticky: a connection's source address picks
 * a bucket ({@code address mod slots}), and each bucket is served by one slot's socket (group index = slot,
 * because the master calls listen() on the slot sockets in slot order). A bucket whose slot has no ready worker
 * is lent to the next serving slot, so its clients are served meanwhile; when the slot is back, so are they.
 *
 * <p>IPv4: the whole 32-bit source address. IPv6: the four 32-bit words of the source address XORed together.
 * The IP version comes from the packet's first nibble, so a dual-stack socket serves both.
 */
public final class StickyProgram {
    /** Where the network header starts, for BPF_ABS loads (SKF_NET_OFF). */
    static final int NET = -0x100000;

    // classic BPF opcodes
    static final int LD_B_ABS = 0x30;   // A = byte at k
    static final int LD_W_ABS = 0x20;   // A = word at k
    static final int RSH_K = 0x74;      // A >>= k
    static final int JEQ_K = 0x15;      // pc += (A == k) ? jt : jf
    static final int JA = 0x05;         // pc += k
    static final int TAX = 0x07;        // X = A
    static final int XOR_X = 0xac;      // A ^= X
    static final int MOD_K = 0x94;      // A %= k
    static final int RET_A = 0x16;      // return A
    static final int RET_K = 0x06;      // return k

    private StickyProgram() {
    }

    /**
     * @param serving for each slot, whether it has a ready worker; at least one entry
     * @return the program for SO_ATTACH_REUSEPORT_CBPF
     */
    public static List<BpfInstruction> build(boolean[] serving) {
        int slots = serving.length;
        if (slots < 1 || 2 * slots + 16 > BpfInstruction.MAX_INSTRUCTIONS) {
            throw new IllegalArgumentException("sticky sessions support 1.." + (BpfInstruction.MAX_INSTRUCTIONS - 16) / 2
                    + " slots, got " + slots);
        }
        List<BpfInstruction> p = new ArrayList<>();
        p.add(i(LD_B_ABS, 0, 0, NET));          //  0: first byte of the IP header
        p.add(i(RSH_K, 0, 0, 4));               //  1: A = IP version
        p.add(i(JEQ_K, 2, 0, 6));               //  2: IPv6 -> 5, IPv4 -> 3
        p.add(i(LD_W_ABS, 0, 0, NET + 12));     //  3: IPv4 source address
        p.add(i(JA, 0, 0, 10));                 //  4: -> 15
        p.add(i(LD_W_ABS, 0, 0, NET + 8));      //  5: IPv6 source address, word 0
        p.add(i(TAX, 0, 0, 0));                 //  6
        p.add(i(LD_W_ABS, 0, 0, NET + 12));     //  7: word 1
        p.add(i(XOR_X, 0, 0, 0));               //  8
        p.add(i(TAX, 0, 0, 0));                 //  9
        p.add(i(LD_W_ABS, 0, 0, NET + 16));     // 10: word 2
        p.add(i(XOR_X, 0, 0, 0));               // 11
        p.add(i(TAX, 0, 0, 0));                 // 12
        p.add(i(LD_W_ABS, 0, 0, NET + 20));     // 13: word 3
        p.add(i(XOR_X, 0, 0, 0));               // 14
        p.add(i(MOD_K, 0, 0, slots));           // 15: A = bucket (unsigned modulo)
        boolean allServing = true;
        for (boolean s : serving) {
            allServing &= s;
        }
        if (allServing) {
            p.add(i(RET_A, 0, 0, 0));
            return List.copyOf(p);
        }
        for (int bucket = 0; bucket < slots; bucket++) {
            p.add(i(JEQ_K, 0, 1, bucket));
            p.add(i(RET_K, 0, 0, SlotSteering.slotFor(bucket, serving)));
        }
        p.add(i(RET_A, 0, 0, 0)); // not reached: every bucket is listed
        return List.copyOf(p);
    }

    private static BpfInstruction i(int code, int jt, int jf, int k) {
        return new BpfInstruction(code, jt, jf, k);
    }
}
