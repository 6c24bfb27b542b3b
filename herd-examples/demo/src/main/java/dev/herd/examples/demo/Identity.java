package dev.herd.examples.demo;

import java.nio.charset.StandardCharsets;

/**
 * Who answers a request: shown in every response so tests and humans can see which worker served it.
 *
 * @param version the application version the worker was started as ({@code HERD_APP_VERSION}, default v1), so
 *                an upgrade can be seen from the outside
 */
public record Identity(int slot, long pid, int generation, String version) {

    public static final String DEFAULT_VERSION = "v1";

    public Identity(int slot, long pid, int generation) {
        this(slot, pid, generation, DEFAULT_VERSION);
    }

    /** Reads the version from {@code HERD_APP_VERSION}; an empty or missing value means {@value #DEFAULT_VERSION}. */
    static String versionFromEnvironment() {
        String version = System.getenv("HERD_APP_VERSION");
        return version == null || version.isBlank() ? DEFAULT_VERSION : version;
    }

    /** The JSON body of {@code GET /}, newline-terminated so {@code curl} output stays readable. */
    public byte[] json() {
        return ("{\"slot\":" + slot + ",\"pid\":" + pid + ",\"generation\":" + generation
                + ",\"app\":\"herd-demo\",\"version\":\"" + jsonEscape(version) + "\"}\n").getBytes(StandardCharsets.UTF_8);
    }

    /** Log prefix: {@code herd-demo slot=S pid=P generation=G}. */
    String logPrefix() {
        return "herd-demo slot=" + slot + " pid=" + pid + " generation=" + generation;
    }

    private static String jsonEscape(String text) {
        StringBuilder out = new StringBuilder();
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
