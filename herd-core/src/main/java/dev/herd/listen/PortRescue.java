package dev.herd.listen;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.function.IntSupplier;

/**
 * Accepts, for a short while, on the port of a nat-mode worker that just exited, so that connections redirected
 * to it meanwhile are not lost: each is forwarded to the port the band goes to once the rules have moved it.
 * Normally it accepts from the master's copy of the worker's own socket ({@link dev.herd.os.ListenerCopy}), which
 * stayed open through the exit, so nothing was refused and what queued there is served. Without a copy it binds
 * the port after the fact, and connections that came in between the kernel closing the worker's socket and that
 * bind were refused.
 */
final class PortRescue implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PortRescue.class);
    /** Outlives the rule rewrite and the handshakes that began before it. */
    static final Duration OPEN_FOR = Duration.ofSeconds(2);
    /** How long a rescued connection waits for the rules to name a new port. */
    private static final Duration TARGET_WAIT = Duration.ofSeconds(10);

    private final ServerSocketChannel channel;
    private final int port;
    private final IntSupplier target;
    private final ForwardingLoops loops;

    private PortRescue(ServerSocketChannel channel, int port, IntSupplier target, ForwardingLoops loops) {
        this.channel = channel;
        this.port = port;
        this.target = target;
        this.loops = loops;
    }

    /**
     * Binds the dead worker's port, for when the master holds no copy of the worker's socket; null when the port
     * cannot be bound (another process took it).
     */
    static ServerSocketChannel bindDeadPort(String host, int port) {
        ServerSocketChannel channel = null;
        try {
            channel = ServerSocketChannel.open();
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true); // the dead worker's connections linger
            channel.bind(new InetSocketAddress(host, port), 1024);
            return channel;
        } catch (IOException e) {
            log.warn("event=nat.rescue_failed port={} error=\"{}\"", port, e.getMessage());
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // not open
                }
            }
            return null;
        }
    }

    /**
     * Accepts on {@code channel}, the dead worker's socket (or a new one on its port), and forwards what it accepts;
     * closes it after {@link #OPEN_FOR} and then runs {@code closed}.
     *
     * @param target the port the band goes to now: the dead port itself or 0 until the rules have moved it
     */
    static PortRescue open(ServerSocketChannel channel, int port, IntSupplier target, ForwardingLoops loops,
                           Runnable closed) {
        PortRescue rescue = new PortRescue(channel, port, target, loops);
        log.info("event=nat.rescue_opened port={} open_ms={}", port, OPEN_FOR.toMillis());
        Thread.ofVirtual().name("herd-nat-rescue-" + port).start(rescue::acceptLoop);
        Thread.ofVirtual().name("herd-nat-rescue-close-" + port).start(() -> {
            try {
                Thread.sleep(OPEN_FOR);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            rescue.close();
            closed.run();
        });
        return rescue;
    }

    int port() {
        return port;
    }

    private void acceptLoop() {
        int rescued = 0;
        while (true) {
            SocketChannel client;
            try {
                client = channel.accept();
            } catch (ClosedChannelException e) {
                break;
            } catch (IOException e) {
                log.warn("event=nat.rescue_accept_error port={} error=\"{}\"", port, e.getMessage());
                break;
            }
            rescued++;
            Thread.ofVirtual().start(() -> forward(client));
        }
        log.info("event=nat.rescue_closed port={} connections={}", port, rescued);
    }

    private void forward(SocketChannel client) {
        try {
            int to = awaitTarget();
            if (to == 0) {
                log.warn("event=nat.rescue_no_target port={} waited_ms={}", port, TARGET_WAIT.toMillis());
                client.close();
                return;
            }
            SocketChannel backend = ProxyListener.connectLoopback(to);
            loops.forward(client, backend, () -> { });
        } catch (IOException e) {
            try {
                client.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private int awaitTarget() throws InterruptedException {
        long deadline = System.nanoTime() + TARGET_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            int to = target.getAsInt();
            if (to != 0 && to != port) {
                return to;
            }
            Thread.sleep(1); // the supervisor rewrites the rules within milliseconds
        }
        return 0;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
