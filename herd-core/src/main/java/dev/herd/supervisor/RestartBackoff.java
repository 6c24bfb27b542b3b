package dev.herd.supervisor;

import java.time.Duration;

/**
 * Per-slot restart delay: the first crash waits {@code base}; every further crash that follows a short
 * life doubles the delay up to {@code max}; every {@code calmPeriod} a worker stayed up halves it again,
 * so a slot that has been healthy for a while restarts quickly after its next crash.
 *
 * <p>Pure and immutable: the supervisor keeps one per slot and replaces it on every crash.
 *
 * @param delay  the delay chosen by the last {@link #afterCrash(Duration)}
 * @param streak crashes that count towards the growth (each calm period forgives one)
 */
public record RestartBackoff(Duration base, Duration max, Duration calmPeriod, Duration delay, int streak) {

    /** Growth starts from at least this step, so that a zero base delay still backs off on repeated crashes. */
    static final Duration MIN_STEP = Duration.ofMillis(100);

    public static RestartBackoff initial(Duration base, Duration max, Duration calmPeriod) {
        return new RestartBackoff(base, max, calmPeriod, Duration.ZERO, 0);
    }

    /** The backoff after a crash that ended a life of {@code uptime}; its {@link #delay()} is the wait before the restart. */
    public RestartBackoff afterCrash(Duration uptime) {
        Duration decayed = delay;
        int remaining = streak;
        long calmPeriods = calmPeriod.isZero() ? Long.MAX_VALUE : uptime.toNanos() / calmPeriod.toNanos();
        for (long i = 0; i < calmPeriods && remaining > 0; i++) {
            remaining--;
            decayed = decayed.dividedBy(2);
        }
        Duration next;
        if (remaining == 0) {
            next = base;
        } else {
            Duration grown = (decayed.compareTo(MIN_STEP) < 0 ? MIN_STEP : decayed).multipliedBy(2);
            next = grown.compareTo(max) > 0 ? max : grown;
            next = next.compareTo(base) < 0 ? base : next;
        }
        return new RestartBackoff(base, max, calmPeriod, next, remaining + 1);
    }
}
