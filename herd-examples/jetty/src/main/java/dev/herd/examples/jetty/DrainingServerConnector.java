package dev.herd.examples.jetty;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A {@link ServerConnector} that can stop accepting by <em>closing</em> its listening channel, before
 * Jetty's graceful shutdown begins.
 *
 * <p>Jetty's own {@code shutdown()} stops an acceptor by interrupting it. On a thread blocked in
 * {@code ServerSocketChannel.accept()} the JDK then throws {@code ClosedByInterruptException} even
 * when the kernel had just handed it a connection: that connection is never served nor closed (its
 * descriptor is dropped) and its client only sees the connection die when the process exits. Under
 * load, with clients reconnecting because of {@code Connection: close}, this happened. Closing the
 * channel instead is safe: an accept that completed returns its connection, which is served
 * normally; otherwise the acceptor gets {@code AsynchronousCloseException} and ends.
 */
final class DrainingServerConnector extends ServerConnector {

    private final CountDownLatch acceptorsDone;
    private volatile boolean stopAccepting;
    /** Connections the acceptors took, and how many of them became endpoints: see {@link #awaitAcceptedOpened}. */
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong opened = new AtomicLong();

    DrainingServerConnector(Server server, int acceptors, ConnectionFactory factory) {
        super(server, acceptors, -1, factory);
        if (acceptors < 1) {
            throw new IllegalArgumentException("needs at least one acceptor thread: " + acceptors);
        }
        acceptorsDone = new CountDownLatch(acceptors);
    }

    /**
     * Closes the listening channel (this process's copy only) and ends the acceptor threads. Returns
     * at once; {@link #awaitAcceptorsDone} waits for the threads.
     */
    void stopAccepting() throws IOException {
        stopAccepting = true;
        ServerSocketChannel channel = getTransport() instanceof ServerSocketChannel c ? c : null;
        if (channel != null) {
            channel.close(); // wakes a blocked accept()
        }
    }

    /** @return true when every acceptor thread has ended within {@code timeout} */
    boolean awaitAcceptorsDone(Duration timeout) throws InterruptedException {
        return acceptorsDone.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Waits until every connection the acceptors took has become an endpoint of this connector. A connection
     * accepted just as the channel closed is handed to a selector thread and is, for a moment, neither an
     * acceptor's nor among the connector's endpoints: Jetty's graceful stop (no acceptors, no endpoints) would
     * count it as done and then close it, request unanswered.
     *
     * @return true when they are all registered within {@code timeout}
     */
    boolean awaitAcceptedOpened(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (opened.get() < accepted.get()) {
            if (System.nanoTime() > deadline) {
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

    @Override
    public void accept(int acceptorID) throws IOException {
        if (stopAccepting) {
            // ServerConnector.accept() returns at once on a closed channel: the acceptor would spin
            throw new ClosedChannelException();
        }
        super.accept(acceptorID);
    }

    @Override
    protected boolean handleAcceptFailure(Throwable failure) {
        if (stopAccepting) {
            acceptorsDone.countDown(); // false: this acceptor thread ends, quietly
            return false;
        }
        return super.handleAcceptFailure(failure);
    }
}
