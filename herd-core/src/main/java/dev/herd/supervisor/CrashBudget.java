package dev.herd.supervisor;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Counts one slot's unexpected exits in a sliding window (60 s by default). More than {@code limit}
 * of them in the window means the slot is crash-looping and should be marked failed.
 *
 * <p>Pure: time comes in as a monotonic nanosecond reading, so tests drive it with a fake clock.
 */
public final class CrashBudget {
    private final int limit;
    private final long windowNanos;
    private final Deque<Long> exits = new ArrayDeque<>();

    public CrashBudget(int limit, long windowNanos) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        }
        this.limit = limit;
        this.windowNanos = windowNanos;
    }

    /** Records an unexpected exit at {@code nowNanos} and returns how many fell within the window. */
    public int record(long nowNanos) {
        exits.addLast(nowNanos);
        return recent(nowNanos);
    }

    /** Unexpected exits within the window ending at {@code nowNanos}. */
    public int recent(long nowNanos) {
        while (!exits.isEmpty() && nowNanos - exits.peekFirst() >= windowNanos) {
            exits.removeFirst();
        }
        return exits.size();
    }

    public boolean exhausted(long nowNanos) {
        return recent(nowNanos) > limit;
    }

    public int limit() {
        return limit;
    }

    /** Forgets past exits, e.g. when an operator restarts a failed slot. */
    public void reset() {
        exits.clear();
    }
}
