package dev.herd.os;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** poll(2) for POLLIN on a set of descriptors: how one thread waits on many processes and sockets at once. */
public final class Poller {
    /** Data to read, or the peer hung up, or an error: in each case the owner should look. */
    private static final int READY = 0x1 | 0x8 | 0x10 | 0x20; // POLLIN | POLLERR | POLLHUP | POLLNVAL

    private Poller() {}

    /**
     * Waits until at least one descriptor is readable (or hung up) or the timeout passes (-1: no timeout); returns,
     * per descriptor, whether it is ready. EINTR returns with none ready. Blocks: platform thread only.
     */
    public static boolean[] awaitReadable(int[] fds, int timeoutMillis) {
        boolean[] ready = new boolean[fds.length];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            MemorySegment pollfds = arena.allocate(Libc.POLLFD_SIZE * Math.max(1, fds.length), 4);
            for (int i = 0; i < fds.length; i++) {
                long at = Libc.POLLFD_SIZE * i;
                pollfds.set(JAVA_INT, at, fds[i]);
                pollfds.set(JAVA_SHORT, at + 4, Libc.POLLIN);
                pollfds.set(JAVA_SHORT, at + 6, (short) 0);
            }
            int rc = Libc.poll(err, pollfds, fds.length, timeoutMillis);
            if (rc < 0) {
                int errno = Libc.errno(err);
                if (errno == Errno.EINTR) {
                    return ready;
                }
                throw new NativeException("poll", fds.length + " descriptors", errno);
            }
            for (int i = 0; i < fds.length; i++) {
                ready[i] = (pollfds.get(JAVA_SHORT, Libc.POLLFD_SIZE * i + 6) & READY) != 0;
            }
            return ready;
        }
    }
}
