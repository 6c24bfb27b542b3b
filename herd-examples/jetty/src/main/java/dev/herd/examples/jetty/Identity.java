package dev.herd.examples.jetty;

import java.nio.charset.StandardCharsets;

/**
 * Who answers a request: shown in every {@code GET /} response so tests and humans can see which
 * worker served it.
 *
 * @param version the application version (env {@code HERD_APP_VERSION}, default {@code v1}), so a
 *                rolling reload to a new version is visible from the client side
 */
public record Identity(int slot, long pid, int generation, String version) {

    public static final String APP = "herd-jetty";
    public static final String VERSION_ENV = "HERD_APP_VERSION";
    public static final String DEFAULT_VERSION = "v1";

    public Identity {
        if (version == null || version.isEmpty()) {
            version = DEFAULT_VERSION;
        }
    }

    /** The version from the environment: {@code HERD_APP_VERSION}, or {@code v1} when unset or empty. */
    public static String versionFromEnv() {
        String v = System.getenv(VERSION_ENV);
        return v == null || v.isEmpty() ? DEFAULT_VERSION : v;
    }

    /** The JSON body of {@code GET /}, newline-terminated so {@code curl} output stays readable. */
    public byte[] json() {
        return ("{\"slot\":" + slot + ",\"pid\":" + pid + ",\"generation\":" + generation
                + ",\"app\":\"" + APP + "\",\"version\":" + jsonString(version) + "}\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Log prefix: {@code herd-jetty slot=S pid=P generation=G version=V}. */
    String logPrefix() {
        return APP + " slot=" + slot + " pid=" + pid + " generation=" + generation + " version=" + version;
    }

    static String jsonString(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
