package dev.herd.worker;

import java.time.Duration;

/**
 * toobusy's idea for a JVM: a daemon thread asks to wake every {@link #INTERVAL} and measures how late it
 * wakes. When the machine or the process is overloaded (CPU starved, long GC pauses) the lag grows; an app can
 * then shed load (answer 503) before it falls over. The lag is smoothed so one hiccup does not flip it.
 */
final class LagMeter {
    static final Duration INTERVAL = Duration.ofMillis(50);
    /** toobusy's default: above this smoothed lag the worker counts as overloaded. */
    static final Duration DEFAULT_THRESHOLD = Duration.ofMillis(70);
    /** Weight of the newest sample in the smoothed lag (toobusy uses 1/3). */
    static final double SMOOTHING = 1.0 / 3;

    private volatile double smoothedMillis;
    private volatile Duration threshold = DEFAULT_THRESHOLD;
    /** Told when the overload state flips (the master hears of it); null for nobody. */
    private volatile java.util.function.Consumer<Boolean> onChange;
    private boolean wasOverloaded;
    private Thread thread;

    /** Who hears when {@link #overloaded()} flips, from the measuring thread. */
    void onChange(java.util.function.Consumer<Boolean> listener) {
        this.onChange = listener;
    }

    synchronized void start() {
        if (thread != null) {
            return;
        }
        thread = new Thread(this::measure, "herd-worker-lag");
        thread.setDaemon(true);
        thread.start();
    }

    private void measure() {
        long expected = System.nanoTime() + INTERVAL.toNanos();
        while (true) {
            try {
                Thread.sleep(INTERVAL.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            record(Math.max(0, (now - expected) / 1_000_000.0));
            expected = now + INTERVAL.toNanos();
        }
    }

    /** One sample of lag, in milliseconds (from the measuring thread); a flip of the overload state is told. */
    void record(double lagMillis) {
        smoothedMillis = smoothedMillis + SMOOTHING * (lagMillis - smoothedMillis);
        boolean overloaded = overloaded();
        java.util.function.Consumer<Boolean> listener = onChange;
        if (overloaded != wasOverloaded && listener != null) {
            listener.accept(overloaded);
        }
        wasOverloaded = overloaded;
    }

    Duration lag() {
        return Duration.ofNanos((long) (smoothedMillis * 1_000_000));
    }

    boolean overloaded() {
        return smoothedMillis > threshold.toNanos() / 1_000_000.0;
    }

    void threshold(Duration threshold) {
        if (threshold.isNegative() || threshold.isZero()) {
            throw new IllegalArgumentException("overload threshold must be positive: " + threshold);
        }
        this.threshold = threshold;
    }
}
