package dev.herd.control;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The local socket's open connections: at most a cap, and none waiting for a request line longer than the request
 * timeout. A connection is <em>waiting</em> while the master reads its next request line, <em>busy</em> while a
 * command runs or a stream is followed. At the cap, a new connection takes the place of the one that has waited
 * longest (a client that connects and sends nothing loses to one with a command); when every connection is busy,
 * the new one is refused.
 *
 * @param <C> a connection; closing it ends its reader's blocked read
 */
final class LocalConnections<C extends Closeable> {
    private final int cap;
    private final long timeoutNanos;
    private final LongSupplier clock;
    private final Map<C, Long> waiting = new LinkedHashMap<>(); // since when, longest waiting first
    private final Set<C> open = new HashSet<>(); // admitted and not yet closed or evicted

    LocalConnections(int cap, Duration requestTimeout, LongSupplier nanoClock) {
        if (cap < 1) {
            throw new IllegalArgumentException("cap must be at least 1, not " + cap);
        }
        this.cap = cap;
        this.timeoutNanos = requestTimeout.toNanos();
        this.clock = nanoClock;
    }

    /**
     * Counts a new connection in, waiting for its first request; at the cap the longest-waiting one is closed to
     * make room. False (and nothing counted) when every open connection is busy: the caller refuses the new one.
     */
    boolean admit(C connection) {
        C evicted = null;
        synchronized (this) {
            if (open.size() >= cap) {
                Iterator<C> oldest = waiting.keySet().iterator();
                if (!oldest.hasNext()) {
                    return false;
                }
                evicted = oldest.next();
                oldest.remove();
                open.remove(evicted); // its place is taken now, though its reader notices a moment later
            }
            open.add(connection);
            waiting.put(connection, clock.getAsLong());
            notifyAll(); // the overdue check has something to watch again
        }
        closeQuietly(evicted);
        return true;
    }

    /** The master is about to read the connection's next request line: the timeout runs from now. */
    synchronized void waiting(C connection) {
        waiting.remove(connection);
        if (open.contains(connection)) {
            waiting.put(connection, clock.getAsLong());
            notifyAll();
        }
    }

    /** A whole request line arrived; it is being answered or streamed to. */
    synchronized void busy(C connection) {
        waiting.remove(connection);
    }

    /** The connection ended (its reader saw the end, an error, or its closing by this class). */
    synchronized void closed(C connection) {
        waiting.remove(connection);
        open.remove(connection);
    }

    /** Closes every connection that has waited for a request line longer than the timeout; returns how many. */
    int closeOverdue() {
        List<C> overdue = new ArrayList<>();
        synchronized (this) {
            long now = clock.getAsLong();
            for (Iterator<Map.Entry<C, Long>> it = waiting.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<C, Long> entry = it.next();
                if (now - entry.getValue() < timeoutNanos) {
                    break; // the rest waited less long
                }
                overdue.add(entry.getKey());
                it.remove();
            }
        }
        overdue.forEach(LocalConnections::closeQuietly);
        return overdue.size();
    }

    /**
     * Returns once a connection waits for a request line, or {@code stop} holds (checked after every {@link #wake}):
     * the overdue check sleeps here, not in timed rounds, while nobody can be overdue, so an idle master is not woken.
     */
    synchronized void awaitWaiting(BooleanSupplier stop) throws InterruptedException {
        while (waiting.isEmpty() && !stop.getAsBoolean()) {
            wait();
        }
    }

    /** Wakes {@link #awaitWaiting} to look at its stop condition. */
    synchronized void wake() {
        notifyAll();
    }

    synchronized int open() {
        return open.size();
    }

    private static void closeQuietly(Closeable connection) {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (IOException e) {
            // it is gone either way
        }
    }
}
