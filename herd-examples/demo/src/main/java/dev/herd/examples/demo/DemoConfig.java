package dev.herd.examples.demo;

import java.time.Duration;

/**
 * Timing knobs of the demo server.
 *
 * @param idleTimeout    a keep-alive connection with no request for this long is closed
 *                       (system property {@code herd.demo.idleTimeoutMs}, default 60000)
 * @param drainIdleGrace while draining, a connection is closed as idle only once it has had no request for this
 *                       long (and after the last request in flight ended)
 *                       in flight finished (and after the drain began), so a request already on its
 *                       way is still answered (system property {@code herd.demo.drainGraceMs}, default 1000)
 */
public record DemoConfig(Duration idleTimeout, Duration drainIdleGrace) {

    public static final String IDLE_TIMEOUT_PROPERTY = "herd.demo.idleTimeoutMs";
    public static final String DRAIN_GRACE_PROPERTY = "herd.demo.drainGraceMs";

    public DemoConfig {
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be positive: " + idleTimeout);
        }
        if (drainIdleGrace.isNegative()) {
            throw new IllegalArgumentException("drainIdleGrace must not be negative: " + drainIdleGrace);
        }
    }

    public static DemoConfig defaults() {
        return new DemoConfig(Duration.ofSeconds(60), Duration.ofMillis(1000));
    }

    public static DemoConfig fromSystemProperties() {
        DemoConfig d = defaults();
        return new DemoConfig(
                millis(IDLE_TIMEOUT_PROPERTY, d.idleTimeout(), 1),
                millis(DRAIN_GRACE_PROPERTY, d.drainIdleGrace(), 0));
    }

    private static Duration millis(String property, Duration fallback, long min) {
        String raw = System.getProperty(property);
        if (raw == null || raw.isBlank()) {
            return fallback;
        }
        try {
            long ms = Long.parseLong(raw.trim());
            if (ms >= min) {
                return Duration.ofMillis(ms);
            }
        } catch (NumberFormatException e) {
            // reported below with the property's name
        }
        throw new IllegalStateException("bad value for system property " + property + ": '" + raw
                + "' (expected milliseconds >= " + min + ")");
    }
}
