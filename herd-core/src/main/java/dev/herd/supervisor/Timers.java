package dev.herd.supervisor;

import java.util.PriorityQueue;

/** Timers of the supervisor thread: no timer thread, the loop waits until the earliest one is due. */
final class Timers {
    private record Timer(long dueNanos, long sequence, Runnable action) {
    }

    private final PriorityQueue<Timer> queue = new PriorityQueue<>((a, b) -> a.dueNanos != b.dueNanos
            ? Long.compare(a.dueNanos, b.dueNanos) : Long.compare(a.sequence, b.sequence));
    private long sequence;

    void at(long dueNanos, Runnable action) {
        queue.add(new Timer(dueNanos, sequence++, action));
    }

    /** Nanoseconds until the next timer is due (0 if one is overdue), or {@code Long.MAX_VALUE} if none. */
    long nanosUntilNext(long nowNanos) {
        Timer next = queue.peek();
        return next == null ? Long.MAX_VALUE : Math.max(0, next.dueNanos - nowNanos);
    }

    /** Runs every timer due at {@code nowNanos}, in order. */
    void runDue(long nowNanos) {
        while (!queue.isEmpty() && queue.peek().dueNanos <= nowNanos) {
            queue.poll().action.run();
        }
    }
}
