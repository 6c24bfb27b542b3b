package dev.herd.examples.demo;

import java.nio.charset.StandardCharsets;

/** Who answers a request: shown in every response so tests and humans can see which worker served it. */
public record Identity(int slot, long pid, int generation) {

    /** The JSON body of {@code GET /}, newline-terminated so {@code curl} output stays readable. */
    public byte[] json() {
        return ("{\"slot\":" + slot + ",\"pid\":" + pid + ",\"generation\":" + generation
                + ",\"app\":\"herd-demo\"}\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Log prefix: {@code herd-demo slot=S pid=P generation=G}. */
    String logPrefix() {
        return "herd-demo slot=" + slot + " pid=" + pid + " generation=" + generation;
    }
}
