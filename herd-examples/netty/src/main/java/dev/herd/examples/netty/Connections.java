package dev.herd.examples.netty;

import io.netty.channel.Channel;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The open connections and what they are doing, for a drain that loses nothing: a connection busy with a
 * request is closed after its response (which says {@code Connection: close}); an idle one only once it has been
 * idle for {@link #IDLE_GRACE}, so a request already on its way is still answered.
 */
final class Connections {
    static final Duration IDLE_GRACE = Duration.ofSeconds(1);

    /** Per connection: when its last response was written, or -1 while a request is in flight. */
    private final Map<Channel, Long> lastActivity = new ConcurrentHashMap<>();
    private final AtomicLong requests = new AtomicLong();
    private volatile boolean draining;

    void opened(Channel channel) {
        lastActivity.put(channel, System.nanoTime());
        channel.closeFuture().addListener(f -> lastActivity.remove(channel));
    }

    void requestStarted(Channel channel) {
        lastActivity.put(channel, -1L);
    }

    void requestDone(Channel channel) {
        requests.incrementAndGet();
        lastActivity.put(channel, System.nanoTime());
    }

    boolean draining() {
        return draining;
    }

    long requests() {
        return requests.get();
    }

    /** Closes idle connections as they pass the grace; returns when none is open or {@code limit} has passed. */
    void drain(Duration limit) {
        draining = true;
        long deadline = System.nanoTime() + limit.toNanos();
        while (!lastActivity.isEmpty() && System.nanoTime() < deadline) {
            long now = System.nanoTime();
            lastActivity.forEach((channel, last) -> {
                if (last >= 0 && now - last >= IDLE_GRACE.toNanos()) {
                    channel.close();
                }
            });
            try {
                Thread.sleep(20); // the drain's polling cadence
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        lastActivity.keySet().forEach(Channel::close);
    }
}
