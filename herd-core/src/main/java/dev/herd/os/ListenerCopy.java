package dev.herd.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * This process's copy of a TCP socket that another process (a worker) bound and listens on, taken with
 * pidfd_getfd (or sent by the master that held it before this one, {@link #of}). While the copy is open the socket outlives that process: connections that arrive after it died
 * wait in the socket's queue instead of being refused, until this process accepts them ({@link #toChannel}).
 */
public final class ListenerCopy implements AutoCloseable {
    private final int fd;
    private final int port;
    private final boolean ipv6;
    private final AtomicBoolean handedOver = new AtomicBoolean();

    private ListenerCopy(int fd, int port, boolean ipv6) {
        this.fd = fd;
        this.port = port;
        this.ipv6 = ipv6;
    }

    /**
     * Copies the socket {@code pid} listens on at {@code port}; empty when it has none (not listening yet, or
     * gone).
     *
     * @param ipv6 whether the socket is an IPv6 one (bound to {@code ::})
     * @throws NativeException when the socket cannot be copied (EPERM without ptrace permission over the process,
     *                         ENOSYS before Linux 5.6)
     */
    public static Optional<ListenerCopy> take(int pid, int port, boolean ipv6) {
        OptionalInt targetFd = ProcFs.fdOfSocket(pid, ProcFs.listeningSocketInodes(port));
        if (targetFd.isEmpty()) {
            return Optional.empty();
        }
        try (PidFd pidFd = PidFd.open(pid)) {
            return Optional.of(new ListenerCopy(pidFd.copyFd(targetFd.getAsInt()), port, ipv6));
        }
    }

    /**
     * Takes ownership of a copy that came another way: a socket a master handing its cluster over sent with its answer
     * (SCM_RIGHTS, {@link UnixStream}). The caller has checked that it listens on {@code port}.
     */
    public static ListenerCopy of(int fd, int port, boolean ipv6) {
        return new ListenerCopy(fd, port, ipv6);
    }

    public int port() {
        return port;
    }

    /**
     * Hands the socket over to a channel that accepts from it (this copy is then closed). The JDK cannot wrap a
     * descriptor it did not open, so a channel is opened and bound to an ephemeral loopback port, and dup3 puts
     * the copied socket in place of that channel's own one; the channel then accepts the copied socket's
     * connections, though its {@code getLocalAddress()} still names the ephemeral port.
     */
    public ServerSocketChannel toChannel() throws IOException {
        if (!handedOver.compareAndSet(false, true)) {
            throw new IllegalStateException("the socket listening on port " + port + " was already handed over");
        }
        ServerSocketChannel channel = null;
        try {
            channel = ServerSocketChannel.open(ipv6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            InetAddress loopback = InetAddress.getByName(ipv6 ? "::1" : "127.0.0.1");
            channel.bind(new InetSocketAddress(loopback, 0), 1);
            int placeholder = ((InetSocketAddress) channel.getLocalAddress()).getPort();
            OptionalInt channelFd = ProcFs.fdOfSocket((int) ProcessHandle.current().pid(),
                    ProcFs.listeningSocketInodes(placeholder));
            if (channelFd.isEmpty()) {
                throw new IOException("cannot find the descriptor of the channel listening on port " + placeholder);
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment err = Libc.errnoState(arena);
                if (Libc.dup3(err, fd, channelFd.getAsInt(), Libc.O_CLOEXEC) < 0) {
                    throw new NativeException("dup3", "socket of port " + port, Libc.errno(err));
                }
            }
            return channel;
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            throw e;
        } finally {
            Libc.closeQuietly(fd);
        }
    }

    /** Lets go of the copy (connections still queued on it are reset if no other process holds the socket). */
    @Override
    public void close() {
        if (handedOver.compareAndSet(false, true)) {
            Libc.closeQuietly(fd);
        }
    }
}
