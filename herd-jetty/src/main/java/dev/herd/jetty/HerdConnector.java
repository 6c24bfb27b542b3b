package dev.herd.jetty;

import java.io.IOException;
import java.net.Socket;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A {@link ServerConnector} for a Herd worker: it serves on the listening socket Herd hands over as the process's
 * inherited channel (fd 0) when there is one and binds its host and port as usual otherwise, and it can stop
 * accepting without closing that socket and without interrupting a thread.
 *
 * <p>It accepts in its selector (Jetty's {@code acceptors = 0}), not on acceptor threads blocked in
 * {@code accept()}, because both ways Jetty has to wake such a thread lose something: an interrupt makes the JDK
 * throw {@code ClosedByInterruptException} even when the kernel had just handed it a connection (that client's
 * request is never answered), and closing the channel (the JDK's inherited channel, when Herd handed it over) makes
 * the JDK point fds 0, 1 <em>and</em> 2 at /dev/null, an inetd legacy: every later log line of the worker, its
 * drain's included, would vanish. Here {@link #stopAccepting()} cancels the selector's interest in the socket,
 * and the inherited socket is never closed by Jetty (the kernel closes it when the worker exits); the other
 * workers and Herd's master keep it open and serving meanwhile. Herd's readiness check sees a worker accepting
 * either way (its selector watches the socket).
 */
public final class HerdConnector extends ServerConnector {
    private static final Duration SELECTOR_BARRIER_TIMEOUT = Duration.ofSeconds(5);

    /** Connections accepted, and how many of them became endpoints: see {@link #awaitAcceptedOpened}. */
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong opened = new AtomicLong();

    /** @param selectors as {@link ServerConnector}'s (-1: Jetty's default) */
    public HerdConnector(Server server, int selectors, ConnectionFactory... factories) {
        super(server, 0, selectors, factories);
        setInheritChannel(inheritedChannel() != null);
    }

    /**
     * The socket Herd hands over: the process's inherited channel when it is a listening TCP socket, else null
     * (started by hand, by systemd with a socket on fd 3, or by inetd with a connected socket).
     */
    public static ServerSocketChannel inheritedChannel() {
        try {
            Channel channel = System.inheritedChannel();
            return channel instanceof ServerSocketChannel server ? server : null;
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    /** True when this connector serves on the inherited socket rather than binding its own. */
    public boolean inherits() {
        return isInheritChannel();
    }

    /**
     * Stops accepting: returns once the selector no longer watches the listening socket (connections it accepted
     * before are served as usual; see {@link #awaitAcceptedOpened}). The socket stays open.
     *
     * @return false when a selector did not confirm within 5 s (it is stuck; the drain goes on regardless)
     */
    public boolean stopAccepting() throws InterruptedException {
        setAccepting(false); // cancels the selection key, in the selector's thread, in order with its other work
        Collection<ManagedSelector> selectors = getSelectorManager().getBeans(ManagedSelector.class);
        CountDownLatch passed = new CountDownLatch(selectors.size());
        for (ManagedSelector selector : selectors) {
            selector.submit(ignored -> passed.countDown()); // runs after the cancel in the selector that had it
        }
        return passed.await(SELECTOR_BARRIER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Waits until every connection accepted has become an endpoint of this connector. An accepted connection is
     * handed to a selector and is, for a moment, not among the connector's endpoints: Jetty's graceful stop (no
     * endpoints) would count it as done and then close it, request unanswered.
     *
     * @return true when they are all registered within {@code timeout}
     */
    public boolean awaitAcceptedOpened(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (opened.get() < accepted.get()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    @Override
    protected void configure(Socket socket) {
        accepted.incrementAndGet(); // every accepted connection passes here before it goes to a selector
        super.configure(socket);
    }

    @Override
    protected void onEndPointOpened(EndPoint endPoint) {
        super.onEndPointOpened(endPoint); // listed first, then counted: once counted, the graceful stop sees it
        opened.incrementAndGet();
    }

    /**
     * Closes a socket this connector bound; leaves the one Herd handed over open (see the class comment: closing it
     * would silence the worker's output). The worker exits after its stop, and the kernel closes it then.
     */
    @Override
    public void close() {
        if (!inherits()) {
            super.close();
        }
    }
}
