package dev.herd.listen;

import dev.herd.os.BpfInstruction;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Runs the generated program in a small classic-BPF interpreter over hand-made IPv4 and IPv6 headers. */
class StickyProgramTest {

    /** Executes the subset of cBPF the builder emits, with SKF_NET_OFF loads reading the given IP header. */
    static int run(List<BpfInstruction> program, byte[] ipHeader) {
        long a = 0;
        long x = 0;
        ByteBuffer header = ByteBuffer.wrap(ipHeader); // network byte order: loads give host-order values
        for (int pc = 0; pc < program.size(); pc++) {
            BpfInstruction in = program.get(pc);
            switch (in.code()) {
                case StickyProgram.LD_B_ABS -> a = header.get(in.k() - StickyProgram.NET) & 0xff;
                case StickyProgram.LD_W_ABS -> a = header.getInt(in.k() - StickyProgram.NET) & 0xffffffffL;
                case StickyProgram.RSH_K -> a = a >>> in.k();
                case StickyProgram.JEQ_K -> pc += (a == (in.k() & 0xffffffffL)) ? in.jt() : in.jf();
                case StickyProgram.JA -> pc += in.k();
                case StickyProgram.TAX -> x = a;
                case StickyProgram.XOR_X -> a = (a ^ x) & 0xffffffffL;
                case StickyProgram.MOD_K -> a = Long.remainderUnsigned(a, in.k());
                case StickyProgram.RET_A -> { return (int) a; }
                case StickyProgram.RET_K -> { return in.k(); }
                default -> throw new IllegalStateException("unexpected opcode " + in.code());
            }
        }
        throw new IllegalStateException("fell off the end");
    }

    static byte[] ipv4(int a, int b, int c, int d) {
        byte[] h = new byte[20];
        h[0] = 0x45;
        h[12] = (byte) a; h[13] = (byte) b; h[14] = (byte) c; h[15] = (byte) d;
        return h;
    }

    static byte[] ipv6(int lastByte) {
        byte[] h = new byte[40];
        h[0] = 0x60;
        h[8] = 0x20; h[9] = 0x01; h[10] = 0x0d; h[11] = (byte) 0xb8; // 2001:db8::lastByte
        h[23] = (byte) lastByte;
        return h;
    }

    @Test
    void everySourceMapsToItsAddressModuloTheSlots() {
        List<BpfInstruction> program = StickyProgram.build(new boolean[] {true, true, true, true});
        for (int last = 1; last <= 40; last++) {
            long address = (127L << 24) | last;
            assertThat(run(program, ipv4(127, 0, 0, last))).isEqualTo((int) (address % 4));
        }
        assertThat(run(program, ipv4(200, 1, 2, 255))).isEqualTo((int) (((200L << 24) | (1 << 16) | (2 << 8) | 255) % 4));
    }

    @Test
    void ipv6SourcesHashAllFourWordsAndSpread() {
        List<BpfInstruction> program = StickyProgram.build(new boolean[] {true, true, true});
        long word0 = 0x20010db8L;
        for (int last = 0; last < 12; last++) {
            assertThat(run(program, ipv6(last))).isEqualTo((int) ((word0 ^ last) % 3));
        }
    }

    @Test
    void bucketsOfASlotWithoutReadyWorkerGoToTheNextServingSlotAndComeBack() {
        boolean[] serving = {true, false, true, true};
        List<BpfInstruction> degraded = StickyProgram.build(serving);
        // 127.0.0.1 = 0x7f000001: bucket 1 (slot 1 is down) -> slot 2; other buckets unchanged
        assertThat(run(degraded, ipv4(127, 0, 0, 1))).isEqualTo(2);
        assertThat(run(degraded, ipv4(127, 0, 0, 2))).isEqualTo(2);
        assertThat(run(degraded, ipv4(127, 0, 0, 3))).isEqualTo(3);
        assertThat(run(degraded, ipv4(127, 0, 0, 4))).isEqualTo(0);
        assertThat(run(StickyProgram.build(new boolean[] {true, true, true, true}), ipv4(127, 0, 0, 1))).isEqualTo(1);
        assertThat(SlotSteering.slotFor(3, new boolean[] {true, false, false, false})).isZero();
        assertThat(SlotSteering.slotFor(2, new boolean[] {false, false, false})).isEqualTo(2);
    }

    @Test
    void tooManySlotsAreRefused() {
        assertThatThrownBy(() -> StickyProgram.build(new boolean[3000])).hasMessageContaining("sticky sessions support");
    }
}
