package dev.herd.tomcat;

import java.io.IOException;
import java.nio.channels.Channel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import org.apache.tomcat.util.net.NioEndpoint;

/**
 * Tomcat's NIO endpoint for a Herd worker: it serves on the listening socket Herd hands over as the process's
 * inherited channel (fd 0) when there is one and binds its address and port as usual otherwise, and it can stop
 * accepting without closing that socket, without a wake-up connection and without refusing anything.
 *
 * <p>Tomcat's own acceptor blocks in {@code accept()} and is woken, when the connector pauses, by a connection the
 * endpoint makes to its own address: on a socket shared by several workers that connection may reach another one,
 * and a connection the kernel hands this acceptor while paused is closed unanswered. Here the acceptor waits in a
 * selector of its own and takes connections without blocking; {@link #stopAccepting()} makes it stop taking them
 * (the kernel gives them to the other workers, which share the socket) and {@link #unlockAccept()} wakes it through
 * the selector. Tomcat never closes an inherited socket, so the worker's stdout and stderr, which the JDK would point
 * at /dev/null on that close, keep working to the end.
 */
public class HerdNioEndpoint extends NioEndpoint {
    private final Object parked = new Object();
    private volatile Selector selector;
    private volatile boolean stopAccepting;
    /** The acceptor thread is inside {@link #serverSocketAccept()} and will not take another connection. */
    private volatile boolean acceptorIdle;

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

    @Override
    protected void initServerSocket() throws Exception {
        setUseInheritedChannel(inheritedChannel() != null);
        super.initServerSocket();
        ServerSocketChannel channel = (ServerSocketChannel) getServerSocket();
        channel.configureBlocking(false);
        Selector opened = Selector.open();
        channel.register(opened, SelectionKey.OP_ACCEPT);
        selector = opened;
    }

    @Override
    protected void doCloseServerSocket() throws IOException {
        Selector opened = selector;
        selector = null;
        if (opened != null) {
            opened.close();
        }
        super.doCloseServerSocket();
    }

    /** True when this endpoint serves on the inherited socket rather than binding its own. */
    public boolean inherits() {
        return getUseInheritedChannel();
    }

    /**
     * Stops taking connections and returns once the acceptor no longer takes any (those it took before are served
     * as usual). The socket stays open.
     *
     * @return false when the acceptor did not confirm within {@code timeoutMillis}
     */
    public boolean stopAccepting(long timeoutMillis) throws InterruptedException {
        stopAccepting = true;
        wake();
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (!acceptorIdle && isRunning()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    @Override
    protected SocketChannel serverSocketAccept() throws Exception {
        while (true) {
            if (!isRunning()) {
                throw new IOException("the endpoint is stopping"); // the acceptor ends quietly
            }
            if (stopAccepting || isPaused()) {
                acceptorIdle = true;
                synchronized (parked) {
                    parked.wait(100);
                }
                continue;
            }
            acceptorIdle = false;
            Selector current = selector;
            ServerSocketChannel channel = (ServerSocketChannel) getServerSocket();
            if (current == null || channel == null) {
                throw new IOException("the listening socket is closed");
            }
            SocketChannel accepted = channel.accept();
            if (accepted != null) {
                return accepted;
            }
            current.select(1000);
            current.selectedKeys().clear();
        }
    }

    /** Wakes the acceptor through its selector: no connection to the shared socket's address. */
    @Override
    protected void unlockAccept() {
        wake();
    }

    private void wake() {
        Selector current = selector;
        if (current != null) {
            current.wakeup();
        }
        synchronized (parked) {
            parked.notifyAll();
        }
    }
}
