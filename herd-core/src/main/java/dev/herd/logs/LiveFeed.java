package dev.herd.logs;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One reader's bounded queue of live items (log lines, events) from a source that must never wait for it: a
 * reader that falls {@code capacity} items behind is cut off (its feed ends, {@link #overflowed()}) and leaves
 * the source's set of readers. Close it when the reader goes away.
 */
public class LiveFeed<T> implements AutoCloseable {
    private final T end;
    private final Set<? super LiveFeed<T>> readers;
    private final BlockingQueue<T> queue;
    private volatile boolean overflowed;

    /**
     * @param end     a marker the source never sends, handed out last when the feed ends
     * @param readers the source's set of readers, which this one leaves when cut off or closed
     */
    protected LiveFeed(T end, Set<? super LiveFeed<T>> readers, int capacity) {
        this.end = end;
        this.readers = readers;
        this.queue = new ArrayBlockingQueue<>(capacity + 1);
    }

    /**
     * Called by the source: never blocks. Synchronized because a feed may have more than one source (the events and
     * the sampler's wake-ups): two offers racing for the last place would leave no room for the end marker.
     */
    public synchronized void offer(T item) {
        if (overflowed) {
            return;
        }
        if (queue.remainingCapacity() <= 1) {
            overflowed = true;
            readers.remove(this);
            queue.offer(end);
            return;
        }
        queue.offer(item);
    }

    /** The source stops: the reader gets what is queued, then the end. */
    public void end() {
        queue.offer(end);
    }

    /** The next item, null when none came within {@code wait}, or one for which {@link #isEnd} holds. */
    public T next(Duration wait) throws InterruptedException {
        return queue.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The next item, waiting as long as it takes; one for which {@link #isEnd} holds when the feed ends. */
    public T next() throws InterruptedException {
        return queue.take();
    }

    public boolean isEnd(T item) {
        return item == end;
    }

    /** Whether the reader fell too far behind and was cut off. */
    public boolean overflowed() {
        return overflowed;
    }

    @Override
    public void close() {
        readers.remove(this);
    }
}
