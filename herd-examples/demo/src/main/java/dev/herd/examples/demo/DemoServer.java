package dev.herd.examples.demo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo HTTP server on a listening channel it is given (the inherited one under Herd, any bound
 * channel in tests).
 *
 * <p>Accepting runs on one <em>platform</em> thread blocked in {@code accept()}: Herd's supervisor
 * detects readiness by seeing a thread blocked in accept on the inherited socket in /proc, and
 * blocking accept on a shared socket spreads connections fairly (FIFO) between worker processes.
 * Each connection is then served on its own virtual thread.
 *
 * <p>{@link #drain()} stops accepting and lets the server finish gracefully, see {@link DrainCoordinator}.
 */
public final class DemoServer implements AutoCloseable {

    private final ServerSocketChannel channel;
    private final Identity identity;
    private final DemoConfig config;
    private final DemoHandler handler;
    private final DrainCoordinator coordinator = new DrainCoordinator();
    private final AtomicLong connectionIds = new AtomicLong();
    private Thread acceptor;

    public DemoServer(ServerSocketChannel channel, Identity identity) {
        this(channel, identity, DemoConfig.defaults());
    }

    public DemoServer(ServerSocketChannel channel, Identity identity, DemoConfig config) {
        this.channel = channel;
        this.identity = identity;
        this.config = config;
        this.handler = new DemoHandler(identity, liveness);
    }

    private final Liveness liveness = new Liveness();

    /** What the heartbeats stand for (see {@link Liveness}). */
    Liveness liveness() {
        return liveness;
    }

    /** Starts accepting and logs the "listening" line. */
    public synchronized void start() throws IOException {
        if (acceptor != null) {
            throw new IllegalStateException("already started");
        }
        channel.configureBlocking(true);
        SocketAddress address = channel.getLocalAddress();
        acceptor = Thread.ofPlatform().name("herd-demo-accept").daemon(true).unstarted(this::acceptLoop);
        acceptor.start();
        Log.info(identity.logPrefix() + " listening on " + format(address));
    }

    private void acceptLoop() {
        int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, config.idleTimeout().toMillis());
        while (true) {
            liveness.checkpoint();
            SocketChannel socket;
            try {
                socket = channel.accept(); // blocking, see the class comment
            } catch (ClosedChannelException e) {
                return; // drain() closed the channel (AsynchronousCloseException is a subclass)
            } catch (IOException e) {
                if (!channel.isOpen() || coordinator.draining()) {
                    return;
                }
                // e.g. out of file descriptors: report, back off a little instead of spinning
                Log.error(identity.logPrefix() + " accept failed: " + e);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    return;
                }
                continue;
            }
            HttpConnection connection = new HttpConnection(socket, handler, coordinator, timeoutMillis);
            coordinator.register(connection);
            Thread.ofVirtual().name("herd-demo-conn-" + connectionIds.incrementAndGet()).start(connection);
        }
    }

    /**
     * Begins a graceful drain and returns at once: the listening channel is closed (only this
     * process's copy; the master keeps the socket), requests in flight are answered with
     * {@code Connection: close}, idle connections are closed last. Idempotent.
     */
    public void drain() {
        if (!coordinator.beginDrain()) {
            return;
        }
        Log.info(identity.logPrefix() + " draining: connections=" + coordinator.openConnections()
                + " in-flight=" + coordinator.inFlight());
        closeChannel();
        long start = System.nanoTime();
        Thread.ofPlatform().name("herd-demo-drain").daemon(true).start(() -> finishDrain(start));
    }

    private void finishDrain(long startNanos) {
        try {
            Thread accepting = acceptorThread();
            if (accepting != null) {
                // a connection accepted just before the close is registered before the acceptor exits
                accepting.join();
            }
            coordinator.awaitQuiet(config.drainIdleGrace());
            coordinator.closeIdleAndAwaitClosed(config.drainIdleGrace());
            Log.info(identity.logPrefix() + " drained in " + (System.nanoTime() - startNanos) / 1_000_000
                    + " ms: connections=" + coordinator.connectionsAccepted()
                    + " requests=" + coordinator.requestsServed());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            coordinator.markDrained();
        }
    }

    /** Waits for a drain to complete. @return true if drained within the timeout */
    public boolean awaitDrained(Duration timeout) throws InterruptedException {
        return coordinator.awaitDrained(timeout);
    }

    /** Hard stop: closes the channel and every connection now, without waiting. */
    @Override
    public void close() {
        coordinator.beginDrain();
        closeChannel();
        coordinator.closeAll();
        coordinator.markDrained();
    }

    private synchronized Thread acceptorThread() {
        return acceptor;
    }

    private void closeChannel() {
        try {
            channel.close(); // wakes the blocked accept with AsynchronousCloseException
        } catch (IOException e) {
            Log.error(identity.logPrefix() + " closing the listening socket failed: " + e);
        }
    }

    public Identity identity() {
        return identity;
    }

    public boolean draining() {
        return coordinator.draining();
    }

    public int inFlight() {
        return coordinator.inFlight();
    }

    public int openConnections() {
        return coordinator.openConnections();
    }

    public long connectionsAccepted() {
        return coordinator.connectionsAccepted();
    }

    public long requestsServed() {
        return coordinator.requestsServed();
    }

    private static String format(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            String host = inet.getHostString();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }
}
