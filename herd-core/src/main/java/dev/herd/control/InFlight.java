package dev.herd.control;

import java.time.Duration;

/**
 * Counts requests being answered, so that a server closing as the master exits (after {@code stop} or
 * {@code exit now}) still delivers the answers already decided, for a bounded while.
 */
final class InFlight {
    static final Duration GRACE = Duration.ofSeconds(2);

    private int count;

    synchronized void begin() {
        count++;
    }

    synchronized void end() {
        count--;
        notifyAll();
    }

    /** Waits until nothing is in flight, at most {@link #GRACE}. */
    synchronized void awaitIdle() {
        long deadline = System.nanoTime() + GRACE.toNanos();
        long left;
        while (count > 0 && (left = deadline - System.nanoTime()) > 0) {
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
