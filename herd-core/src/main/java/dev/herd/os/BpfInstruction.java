package dev.herd.os;

/**
 * One classic BPF instruction ({@code struct sock_filter}: u16 code, u8 jt, u8 jf, u32 k), as the kernel runs
 * it for {@code SO_ATTACH_REUSEPORT_CBPF}.
 */
public record BpfInstruction(int code, int jt, int jf, int k) {
    public BpfInstruction {
        if (code < 0 || code > 0xffff || jt < 0 || jt > 0xff || jf < 0 || jf > 0xff) {
            throw new IllegalArgumentException("bad cBPF instruction: code " + code + " jt " + jt + " jf " + jf);
        }
    }

    /** Most programs are accepted up to this many instructions (BPF_MAXINSNS). */
    public static final int MAX_INSTRUCTIONS = 4096;
}
