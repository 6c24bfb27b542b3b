package dev.herd.supervisor;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * One slot's crash budget, two limits: more than {@code limit} unexpected exits within a sliding window (60 s by
 * default), or {@code maxFailedStarts} failed starts in a row (workers that exited, or were killed at the start
 * timeout, before ever becoming ready). The window alone cannot stop a slot whose worker never starts: the
 * growing restart delay spaces its exits out until fewer than the limit fit in a minute, and it loops forever.
 * A worker that becomes ready ends the streak of failed starts.
 *
 * <p>Pure: time comes in as a monotonic nanosecond reading, so tests drive it with a fake clock.
 */
public final class CrashBudget {
    /** Which limit a slot ran out of, named as its setting. */
    public enum Limit {
        RESTARTS_PER_MINUTE("max-restarts-per-minute"),
        FAILED_STARTS("max-failed-starts");

        private final String setting;

        Limit(String setting) {
            this.setting = setting;
        }

        public String setting() {
            return setting;
        }
    }

    /**
     * The budget after one unexpected exit.
     *
     * @param recentExits  unexpected exits within the window, this one included
     * @param failedStarts failed starts in a row, this one included (0 when this worker had been ready)
     * @param exceeded     the limit the slot ran out of, or null while it may restart
     */
    public record Verdict(int recentExits, int failedStarts, Limit exceeded) {
        public boolean exhausted() {
            return exceeded != null;
        }
    }

    private final int limit;
    private final long windowNanos;
    private final int maxFailedStarts;
    private final Deque<Long> exits = new ArrayDeque<>();
    private int failedStarts;

    public CrashBudget(int limit, long windowNanos, int maxFailedStarts) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        }
        if (maxFailedStarts < 1) {
            throw new IllegalArgumentException("maxFailedStarts must be at least 1, got " + maxFailedStarts);
        }
        this.limit = limit;
        this.windowNanos = windowNanos;
        this.maxFailedStarts = maxFailedStarts;
    }

    /**
     * Records an unexpected exit at {@code nowNanos}; {@code failedStart} when the worker never became ready.
     * Failed starts count in the window too: a slot is judged by every way it fails.
     */
    public Verdict afterExit(long nowNanos, boolean failedStart) {
        int recent = record(nowNanos);
        failedStarts = failedStart ? failedStarts + 1 : 0;
        Limit exceeded = failedStarts >= maxFailedStarts ? Limit.FAILED_STARTS
                : recent > limit ? Limit.RESTARTS_PER_MINUTE : null;
        return new Verdict(recent, failedStarts, exceeded);
    }

    /** A worker of the slot became ready: its earlier failed starts were transient. */
    public void workerReady() {
        failedStarts = 0;
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
        return recent(nowNanos) > limit || failedStarts >= maxFailedStarts;
    }

    /** The limit of {@code which}. */
    public int limit(Limit which) {
        return which == Limit.FAILED_STARTS ? maxFailedStarts : limit;
    }

    public int limit() {
        return limit;
    }

    /** Forgets past exits and failed starts, e.g. when an operator restarts a failed slot. */
    public void reset() {
        exits.clear();
        failedStarts = 0;
    }
}
