package dev.herd;

/**
 * The master's HTTP control API (docs/api.md).
 *
 * @param enabled    false runs the master with its local control socket only
 * @param host       address the API listens on; keep it on loopback or a management network
 * @param port       TCP port; 0 picks a free one (written to {@code STATE-DIR/api.url})
 * @param accessKey  the key HTTP callers must present; null reads {@code STATE-DIR/access.key}, generating it (mode
 *                   0600) when missing
 * @param allowGet   cluster-service's {@code allowHttpGet}: let {@code GET /cli} run commands (for trying things out)
 * @param ecvMonitor a path on the service itself (e.g. {@code /health}) that {@code GET /ecv} checks answers 2xx,
 *                   or null to check only that a worker is ready
 */
public record ApiSpec(boolean enabled, String host, int port, String accessKey, boolean allowGet, String ecvMonitor) {
    public static final int DEFAULT_PORT = 11987;
    /** Shorter keys are too easy to guess. */
    public static final int MIN_KEY_LENGTH = 16;

    public ApiSpec {
        if (enabled) {
            ClusterSpec.check(host != null && !host.isBlank(), "api-host", host, "must be an IP address or host name");
            ClusterSpec.check(port >= 0 && port <= 65535, "api-port", port, "must be between 0 and 65535 (0 picks a free port)");
        }
        ClusterSpec.check(accessKey == null || (accessKey.length() >= MIN_KEY_LENGTH && accessKey.chars().allMatch(c -> c > ' ' && c < 127)),
                "access-key", accessKey == null ? null : "(" + accessKey.length() + " characters)",
                "must be at least " + MIN_KEY_LENGTH + " printable ASCII characters without spaces");
        ClusterSpec.check(ecvMonitor == null || (ecvMonitor.startsWith("/") && ecvMonitor.chars().allMatch(c -> c > ' ' && c < 127)),
                "ecv-monitor", ecvMonitor, "must be a path on the service starting with '/', e.g. /health");
    }

    /** On 127.0.0.1:11987 with a generated key, no GET for commands, no ECV monitor path. */
    public static ApiSpec defaults() {
        return new ApiSpec(true, "127.0.0.1", DEFAULT_PORT, null, false, null);
    }

    /** No HTTP API: only the local control socket. */
    public static ApiSpec disabled() {
        return new ApiSpec(false, "127.0.0.1", DEFAULT_PORT, null, false, null);
    }

    @Override
    public String toString() { // never print the key
        return "ApiSpec[enabled=" + enabled + ", host=" + host + ", port=" + port + ", accessKey="
                + (accessKey == null ? "generated" : "given") + ", allowGet=" + allowGet + ", ecvMonitor=" + ecvMonitor + "]";
    }
}
