package dev.herd.tests;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;

/**
 * A bounded HTTP load: a few threads send GET / in a loop until told to stop, until {@code maxRequests} or until
 * {@code maxDuration}, whichever comes first. Every outcome is counted; anything but a complete 200 is a failure,
 * except, once {@link #expectShutdown()} was called, a new connection the closed port refuses or resets.
 */
final class LoadClient {
    private final int port;
    private final boolean keepAlive;
    private final long maxRequests;
    private final long deadlineNanos;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicBoolean shutdownExpected = new AtomicBoolean();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong closedByServer = new AtomicLong();
    private final AtomicLong refusedAfterShutdown = new AtomicLong();
    /** A request that did not get a complete 200: when it started (System.nanoTime) and what happened. */
    record Failure(long startedNanos, String what) {
        @Override
        public String toString() {
            return what;
        }
    }

    private final List<Failure> failures = Collections.synchronizedList(new ArrayList<>());
    private final Set<Long> pids = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new ArrayList<>();

    private LoadClient(int port, boolean keepAlive, int threadCount, long maxRequests, Duration maxDuration) {
        this.port = port;
        this.keepAlive = keepAlive;
        this.maxRequests = maxRequests;
        this.deadlineNanos = System.nanoTime() + maxDuration.toNanos();
        for (int i = 0; i < threadCount; i++) {
            threads.add(Thread.ofPlatform().daemon().name("load-" + i).start(this::loop));
        }
    }

    static LoadClient newConnectionPerRequest(int port, int threads, long maxRequests, Duration maxDuration) {
        return new LoadClient(port, false, threads, maxRequests, maxDuration);
    }

    static LoadClient keepAlive(int port, int threads, long maxRequests, Duration maxDuration) {
        return new LoadClient(port, true, threads, maxRequests, maxDuration);
    }

    private boolean running() {
        return !stopped.get() && System.nanoTime() < deadlineNanos && completed.get() < maxRequests;
    }

    private void loop() {
        while (running()) {
            long started = System.nanoTime();
            Http connection;
            try {
                connection = new Http(port);
            } catch (ConnectException e) {
                if (shutdownExpected.get()) {
                    refusedAfterShutdown.incrementAndGet();
                    return;
                }
                fail(started, "connect refused: " + e.getMessage());
                continue;
            } catch (IOException e) {
                fail(started, "connect failed: " + e);
                continue;
            }
            try (connection) {
                boolean fresh = true;
                while (running()) {
                    started = System.nanoTime();
                    connection.send("/", keepAlive);
                    Http.Response response = connection.read();
                    if (response == null) {
                        if (fresh && shutdownExpected.get()) {
                            refusedAfterShutdown.incrementAndGet(); // queued but never accepted: the port closed
                            return;
                        }
                        fail(started, (fresh ? "new" : "reused") + " connection closed before any response");
                        break;
                    }
                    fresh = false;
                    if (response.status() != 200) {
                        fail(started, "status " + response.status());
                    } else {
                        completed.incrementAndGet();
                        pids.add(response.pid());
                    }
                    if (!keepAlive || response.closes()) {
                        if (response.closes() && keepAlive) {
                            closedByServer.incrementAndGet();
                        }
                        break;
                    }
                }
            } catch (IOException e) {
                fail(started, "request failed: " + e);
            }
        }
    }

    private void fail(long startedNanos, String what) {
        if (failures.size() < 100) {
            failures.add(new Failure(startedNanos, what));
        }
    }

    /** From now on, refused or reset new connections are the expected end of the run, not failures. */
    void expectShutdown() {
        shutdownExpected.set(true);
    }

    void awaitRequests(long count) {
        await("load reaching " + count + " requests").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10))
                .until(() -> completed.get() >= count || !failures.isEmpty() || !running());
    }

    /** Waits until every thread has ended by itself (after a shutdown they end on the refused port). */
    void awaitEnd(Duration timeout) {
        await("load threads ending").atMost(timeout).pollInterval(Duration.ofMillis(20))
                .until(() -> threads.stream().noneMatch(Thread::isAlive));
    }

    void stop() throws InterruptedException {
        stopped.set(true);
        for (Thread thread : threads) {
            thread.join(Duration.ofSeconds(35));
        }
    }

    long completed() {
        return completed.get();
    }

    List<Failure> failures() {
        return List.copyOf(failures);
    }

    Set<Long> pidsSeen() {
        return Set.copyOf(pids);
    }

    String summary() {
        return "completed=" + completed + " failures=" + failures.size() + " closedByServer=" + closedByServer
                + " refusedAfterShutdown=" + refusedAfterShutdown + " pids=" + pids + " firstFailures="
                + failures.stream().limit(5).toList();
    }
}
