package dev.herd.examples.demo;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tracks open connections and requests in flight, and sequences a graceful drain:
 * wait until no request is in flight (plus a short grace for idle connections), close idle
 * connections, wait until every connection is gone.
 *
 * <p>Connections close themselves after a response once draining; idle ones are closed here, last,
 * so a request that a client already put on an idle keep-alive connection is still answered.
 */
final class DrainCoordinator {

    private final Object lock = new Object();
    private final Set<HttpConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong served = new AtomicLong();
    private final CountDownLatch drained = new CountDownLatch(1);
    private volatile boolean draining;
    // guarded by lock
    private int inFlight;
    private long lastRequestEndNanos;
    private long drainStartNanos;

    void register(HttpConnection connection) {
        accepted.incrementAndGet();
        connections.add(connection);
    }

    void unregister(HttpConnection connection) {
        connections.remove(connection);
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    void requestStarted() {
        synchronized (lock) {
            inFlight++;
        }
    }

    void requestFinished() {
        synchronized (lock) {
            inFlight--;
            lastRequestEndNanos = System.nanoTime();
            lock.notifyAll();
        }
    }

    void requestServed() {
        served.incrementAndGet();
    }

    boolean draining() {
        return draining;
    }

    /** @return false if a drain had already begun */
    boolean beginDrain() {
        synchronized (lock) {
            if (draining) {
                return false;
            }
            drainStartNanos = System.nanoTime();
            draining = true;
            return true;
        }
    }

    /** Blocks until no request is in flight and {@code grace} has passed since the last one ended and since the drain began. */
    void awaitQuiet(Duration grace) throws InterruptedException {
        long graceNanos = grace.toNanos();
        synchronized (lock) {
            while (true) {
                if (inFlight > 0) {
                    lock.wait();
                    continue;
                }
                long from = lastRequestEndNanos - drainStartNanos > 0 ? lastRequestEndNanos : drainStartNanos;
                long remaining = from + graceNanos - System.nanoTime();
                if (remaining <= 0) {
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, remaining);
            }
        }
    }

    /**
     * Closes idle connections until none is left. Busy ones finish their request and close themselves
     * (their response says {@code Connection: close}); sweeping again on every wake-up catches any
     * connection that was between two states during the previous sweep.
     */
    void closeIdleAndAwaitClosed(Duration minIdle) throws InterruptedException {
        while (true) {
            for (HttpConnection c : connections) {
                c.closeIfIdle(minIdle);
            }
            synchronized (lock) {
                if (connections.isEmpty()) {
                    return;
                }
                lock.wait(100);
            }
        }
    }

    /** Closes every connection at once, busy or not (for a hard stop). */
    void closeAll() {
        for (HttpConnection c : connections) {
            c.close();
        }
    }

    void markDrained() {
        drained.countDown();
    }

    boolean awaitDrained(Duration timeout) throws InterruptedException {
        return drained.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    boolean isDrained() {
        return drained.getCount() == 0;
    }

    int inFlight() {
        synchronized (lock) {
            return inFlight;
        }
    }

    int openConnections() {
        return connections.size();
    }

    long connectionsAccepted() {
        return accepted.get();
    }

    long requestsServed() {
        return served.get();
    }
}
