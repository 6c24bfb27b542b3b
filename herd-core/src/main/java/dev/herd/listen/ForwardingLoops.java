package dev.herd.listen;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Moves bytes between connected pairs of channels (client and worker) on a few selector threads, one per core:
 * each readable event is one read into the direction's direct buffer and one write to the other side, with no
 * thread handoff in between (HAProxy's model). A slow reader only stops its own direction: the source's read
 * interest is dropped until the destination has taken what is buffered. End of stream is passed on as a
 * half-close; the pair is closed when both directions have ended or either side fails. With an idle timeout, a pair
 * through which no byte moved for that long is closed (cluster2's socket {@code timeout}), checked a few times per
 * timeout.
 */
final class ForwardingLoops implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ForwardingLoops.class);
    /** Per direction; HAProxy's default buffer size. */
    static final int BUFFER_BYTES = 16 * 1024;

    private final Loop[] loops;
    private final AtomicInteger next = new AtomicInteger();

    ForwardingLoops(int threads) throws IOException {
        this(threads, java.time.Duration.ZERO);
    }

    /** @param idleTimeout a pair idle this long is closed; zero keeps pairs however long they are idle */
    ForwardingLoops(int threads, java.time.Duration idleTimeout) throws IOException {
        loops = new Loop[threads];
        for (int i = 0; i < threads; i++) {
            loops[i] = new Loop(Selector.open(), idleTimeout.toNanos());
            Thread.ofPlatform().daemon().name("herd-proxy-loop-" + i).start(loops[i]);
        }
    }

    /**
     * Forwards between the two channels (both connected, in blocking mode as opened) from now on.
     *
     * @param workerEnded runs once, when the worker's side has ended (or the pair failed)
     */
    void forward(SocketChannel client, SocketChannel worker, Runnable workerEnded) {
        loops[Math.floorMod(next.getAndIncrement(), loops.length)].add(new Pair(client, worker, workerEnded));
    }

    @Override
    public void close() {
        for (Loop loop : loops) {
            loop.stop();
        }
    }

    /** One connection: two directions sharing the two channels' selection keys. */
    private static final class Pair {
        final SocketChannel client;
        final SocketChannel worker;
        final Runnable workerEnded;
        final Direction up;   // client -> worker
        final Direction down; // worker -> client
        SelectionKey clientKey;
        SelectionKey workerKey;
        boolean closed;
        /** When a byte last moved either way ({@link System#nanoTime}). */
        long lastActiveNanos = System.nanoTime();
        boolean workerEndedRun;

        Pair(SocketChannel client, SocketChannel worker, Runnable workerEnded) {
            this.client = client;
            this.worker = worker;
            this.workerEnded = workerEnded;
            this.up = new Direction(true);
            this.down = new Direction(false);
        }

        void workerEnded() {
            if (!workerEndedRun) {
                workerEndedRun = true;
                workerEnded.run();
            }
        }

        void close() {
            if (closed) {
                return;
            }
            closed = true;
            workerEnded();
            for (SocketChannel channel : new SocketChannel[] {client, worker}) {
                try {
                    channel.close(); // also cancels its key
                } catch (IOException e) {
                    // closing anyway
                }
            }
        }

        /** Bytes flowing one way, with the buffer they wait in while the destination is full. */
        final class Direction {
            Pair pair() {
                return Pair.this;
            }

            final boolean upstream;
            final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
            boolean ended;

            Direction(boolean upstream) {
                this.upstream = upstream;
            }

            SocketChannel from() {
                return upstream ? client : worker;
            }

            SocketChannel to() {
                return upstream ? worker : client;
            }

            SelectionKey fromKey() {
                return upstream ? clientKey : workerKey;
            }

            SelectionKey toKey() {
                return upstream ? workerKey : clientKey;
            }

            /**
             * The source is readable: read once. Returns true when bytes wait to be passed on, which the loop does
             * after it has read from every readable source ({@link #flush}).
             */
            boolean readable() throws IOException {
                int n = from().read(buffer);
                if (n != 0) {
                    lastActiveNanos = System.nanoTime();
                }
                if (n < 0) {
                    ended = true;
                    interest(fromKey(), SelectionKey.OP_READ, false);
                    if (!upstream) {
                        workerEnded();
                    }
                    finish();
                    return false;
                }
                if (n > 0) {
                    buffer.flip();
                    return true;
                }
                return false;
            }

            /** The destination can take more. */
            void writable() throws IOException {
                flush();
            }

            /** Writes what is buffered; waits for the destination if it is full. */
            void flush() throws IOException {
                if (to().write(buffer) > 0) {
                    lastActiveNanos = System.nanoTime();
                }
                if (buffer.hasRemaining()) {
                    interest(fromKey(), SelectionKey.OP_READ, false);
                    interest(toKey(), SelectionKey.OP_WRITE, true);
                    return;
                }
                buffer.clear();
                interest(toKey(), SelectionKey.OP_WRITE, false);
                if (ended) {
                    finish();
                } else {
                    interest(fromKey(), SelectionKey.OP_READ, true);
                }
            }

            /** The source ended and everything it sent was passed on: half-close, or close when both ended. */
            private void finish() throws IOException {
                if (buffer.position() != 0 && buffer.hasRemaining()) {
                    return; // flush() calls again when the rest is written
                }
                Direction other = upstream ? down : up;
                if (other.ended) {
                    close();
                } else {
                    to().shutdownOutput();
                }
            }
        }
    }

    private static void interest(SelectionKey key, int op, boolean on) {
        int ops = key.interestOps();
        int wanted = on ? ops | op : ops & ~op;
        if (wanted != ops) {
            key.interestOps(wanted);
        }
    }

    /** The channel's end of a pair: which direction reads from it and which writes to it. */
    private record Endpoint(Pair pair, Pair.Direction readFrom, Pair.Direction writeTo) {
    }

    private static final class Loop implements Runnable {
        private final Selector selector;
        private final long idleNanos;
        private long lastSweepNanos = System.nanoTime();
        private final Queue<Pair> incoming = new ConcurrentLinkedQueue<>();
        /** Directions read in this round of events, written once every readable source has been read. */
        private final List<Pair.Direction> toFlush = new ArrayList<>();
        private volatile boolean stopped;

        Loop(Selector selector, long idleNanos) {
            this.selector = selector;
            this.idleNanos = idleNanos;
        }

        void add(Pair pair) {
            incoming.add(pair);
            selector.wakeup();
        }

        void stop() {
            stopped = true;
            try {
                selector.close();
            } catch (IOException e) {
                // closing anyway
            }
        }

        @Override
        public void run() {
            try {
                // with an idle timeout the loop wakes a few times per timeout to look for idle pairs
                long wakeMillis = idleNanos > 0 ? Math.max(100, idleNanos / 4_000_000) : 0;
                while (!stopped) {
                    selector.select(this::handle, wakeMillis);
                    flushAll();
                    Pair pair;
                    while ((pair = incoming.poll()) != null) {
                        register(pair);
                    }
                    if (idleNanos > 0 && System.nanoTime() - lastSweepNanos >= wakeMillis * 1_000_000) {
                        closeIdle();
                    }
                }
            } catch (ClosedSelectorException e) {
                // stopped
            } catch (IOException | RuntimeException e) {
                log.error("event=proxy.loop_failed error=\"{}\"", e.toString(), e);
            }
        }

        /** Closes every pair through which nothing moved for the idle timeout. */
        private void closeIdle() {
            long now = System.nanoTime();
            lastSweepNanos = now;
            int closed = 0;
            for (SelectionKey key : selector.keys()) {
                Pair pair = ((Endpoint) key.attachment()).pair();
                if (!pair.closed && now - pair.lastActiveNanos >= idleNanos) {
                    pair.close();
                    closed++;
                }
            }
            if (closed > 0) {
                log.debug("event=proxy.idle_closed connections={} idle_timeout_ms={}", closed, idleNanos / 1_000_000);
            }
        }

        private void register(Pair pair) {
            try {
                // small requests and answers go out at once, as a direct connection would send them
                pair.client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                pair.worker.setOption(StandardSocketOptions.TCP_NODELAY, true);
                pair.client.configureBlocking(false);
                pair.worker.configureBlocking(false);
                pair.clientKey = pair.client.register(selector, SelectionKey.OP_READ, new Endpoint(pair, pair.up, pair.down));
                pair.workerKey = pair.worker.register(selector, SelectionKey.OP_READ, new Endpoint(pair, pair.down, pair.up));
            } catch (IOException | RuntimeException e) {
                pair.close();
            }
        }

        private void handle(SelectionKey key) {
            Endpoint endpoint = (Endpoint) key.attachment();
            Pair pair = endpoint.pair();
            try {
                if (key.isValid() && key.isWritable()) {
                    endpoint.writeTo().writable();
                }
                if (!pair.closed && key.isValid() && key.isReadable() && endpoint.readFrom().readable()) {
                    toFlush.add(endpoint.readFrom());
                }
            } catch (IOException | java.nio.channels.CancelledKeyException e) {
                pair.close();
            }
        }

        /**
         * Passes on what this round read. Reading every ready source before writing to any destination wakes each
         * destination's reader once for the whole round rather than once per message, and keeps the sends of a
         * round together, so the loop and the worker it shares a CPU with each handle more per wake-up.
         */
        private void flushAll() {
            for (Pair.Direction direction : toFlush) {
                Pair pair = direction.pair();
                if (pair.closed) {
                    continue;
                }
                try {
                    direction.flush();
                } catch (IOException | java.nio.channels.CancelledKeyException e) {
                    pair.close();
                }
            }
            toFlush.clear();
        }
    }
}
