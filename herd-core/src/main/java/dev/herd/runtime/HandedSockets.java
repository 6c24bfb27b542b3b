package dev.herd.runtime;

import dev.herd.os.ListenerCopy;
import dev.herd.os.ProcFs;
import dev.herd.os.UnixStream;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The listening sockets a master handing its cluster over sent with its answer (SCM_RIGHTS), each described by its
 * inode and port, until this master takes the ones it builds its listeners on; {@link #close} closes the rest. The
 * sender is the master this one asked on a socket only their user may reach; still, each inode is the kernel's
 * (read from the descriptor), not the sender's word.
 */
final class HandedSockets implements AutoCloseable {
    /** One socket: its inode, the port it listens on, and this process's descriptor of it. */
    record Socket(long inode, int port, int fd) {
    }

    private final List<Socket> sockets;

    private HandedSockets(List<Socket> sockets) {
        this.sockets = sockets;
    }

    /**
     * The sockets that came with the answer: {@code described} is its {@code sockets} list ({@code {"port":…}} in the
     * order of {@code fds}). Closes every descriptor and throws when they do not match.
     */
    static HandedSockets of(Object described, int[] fds) throws IOException {
        List<Socket> sockets = new ArrayList<>();
        try {
            if (!(described instanceof List<?> list) || list.size() != fds.length) {
                throw new IOException("the running master described " + (described instanceof List<?> l ? l.size() : 0)
                        + " sockets and sent " + fds.length);
            }
            for (int i = 0; i < fds.length; i++) {
                if (!(list.get(i) instanceof Map<?, ?> socket) || !(socket.get("port") instanceof Number port)
                        || port.intValue() < 1 || port.intValue() > 65535) {
                    throw new IOException("socket " + i + " of the running master's answer has no port");
                }
                sockets.add(new Socket(ProcFs.socketInode(fds[i]), port.intValue(), fds[i]));
            }
            return new HandedSockets(sockets);
        } catch (IOException | RuntimeException e) {
            for (int fd : fds) {
                UnixStream.closeDescriptor(fd);
            }
            throw e instanceof IOException io ? io : new IOException("a socket the running master sent: " + e.getMessage(), e);
        }
    }

    int count() {
        return sockets.size();
    }

    /** The descriptor of the socket with this inode; the caller owns it from now on. */
    synchronized OptionalInt take(long inode) {
        for (Iterator<Socket> it = sockets.iterator(); it.hasNext(); ) {
            Socket socket = it.next();
            if (socket.inode() == inode) {
                it.remove();
                return OptionalInt.of(socket.fd());
            }
        }
        return OptionalInt.empty();
    }

    /** A socket listening on this port (the proxy's public one); the caller owns it from now on. */
    synchronized Optional<ListenerCopy> takeOnPort(int port, boolean ipv6) {
        for (Iterator<Socket> it = sockets.iterator(); it.hasNext(); ) {
            Socket socket = it.next();
            if (socket.port() == port && ProcFs.listeningSocketInodes(port).contains(socket.inode())) {
                it.remove();
                return Optional.of(ListenerCopy.of(socket.fd(), port, ipv6));
            }
        }
        return Optional.empty();
    }

    /** Every socket left, by port (nat mode: the running master's copies of its workers' sockets). */
    synchronized Map<Integer, ListenerCopy> takeAllByPort(boolean ipv6) {
        Map<Integer, ListenerCopy> copies = new HashMap<>();
        for (Socket socket : sockets) {
            if (copies.containsKey(socket.port())) {
                UnixStream.closeDescriptor(socket.fd());
            } else {
                copies.put(socket.port(), ListenerCopy.of(socket.fd(), socket.port(), ipv6));
            }
        }
        sockets.clear();
        return copies;
    }

    /** Closes what nobody took. Idempotent. */
    @Override
    public synchronized void close() {
        sockets.forEach(socket -> UnixStream.closeDescriptor(socket.fd()));
        sockets.clear();
    }
}
