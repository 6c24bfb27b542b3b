package dev.herd.examples.jetty;

import java.time.Duration;

/**
 * Timing knobs of the Jetty worker.
 *
 * @param stopTimeout      the longest a drain may take ({@code Server.setStopTimeout}); requests still
 *                         running then are cut off (system property {@code herd.jetty.stopTimeoutMs},
 *                         default 25000)
 * @param drainIdleTimeout once draining, a connection with no traffic for this long is closed by
 *                         Jetty ({@code AbstractConnector.setShutdownIdleTimeout}): the grace an idle
 *                         keep-alive connection gets for a request already on its way (system property
 *                         {@code herd.jetty.drainIdleMs}, default 3000: longer than Jetty's 1000 because a
 *                         retired worker runs at a low CPU priority and may read a waiting request late)
 * @param idleTimeout      a keep-alive connection with no traffic for this long is closed in normal
 *                         operation (system property {@code herd.jetty.idleTimeoutMs}, default 60000)
 */
public record JettyConfig(Duration stopTimeout, Duration drainIdleTimeout, Duration idleTimeout) {

    public static final String STOP_TIMEOUT_PROPERTY = "herd.jetty.stopTimeoutMs";
    public static final String DRAIN_IDLE_PROPERTY = "herd.jetty.drainIdleMs";
    public static final String IDLE_TIMEOUT_PROPERTY = "herd.jetty.idleTimeoutMs";

    public JettyConfig {
        positive("stopTimeout", stopTimeout);
        positive("drainIdleTimeout", drainIdleTimeout);
        positive("idleTimeout", idleTimeout);
    }

    public static JettyConfig defaults() {
        return new JettyConfig(Duration.ofSeconds(25), Duration.ofSeconds(3), Duration.ofSeconds(60));
    }

    public static JettyConfig fromSystemProperties() {
        JettyConfig d = defaults();
        return new JettyConfig(
                millis(STOP_TIMEOUT_PROPERTY, d.stopTimeout()),
                millis(DRAIN_IDLE_PROPERTY, d.drainIdleTimeout()),
                millis(IDLE_TIMEOUT_PROPERTY, d.idleTimeout()));
    }

    private static void positive(String name, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
    }

    private static Duration millis(String property, Duration fallback) {
        String raw = System.getProperty(property);
        if (raw == null || raw.isBlank()) {
            return fallback;
        }
        try {
            long ms = Long.parseLong(raw.trim());
            if (ms >= 1) {
                return Duration.ofMillis(ms);
            }
        } catch (NumberFormatException e) {
            // reported below with the property's name
        }
        throw new IllegalStateException("bad value for system property " + property + ": '" + raw
                + "' (expected milliseconds >= 1)");
    }
}
