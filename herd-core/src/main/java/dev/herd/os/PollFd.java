package dev.herd.os;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;

/** poll(2) on one fd for POLLIN, retrying EINTR with the time left. */
final class PollFd {
    private PollFd() {}

    /** True when fd became readable (or hung up) within the timeout. Blocks: platform thread only. */
    static boolean awaitReadable(int fd, Duration timeout, String what) {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            MemorySegment pfd = arena.allocate(Libc.POLLFD_SIZE, 4);
            while (true) {
                pfd.set(JAVA_INT, 0, fd);
                pfd.set(JAVA_SHORT, 4, Libc.POLLIN);
                pfd.set(JAVA_SHORT, 6, (short) 0);
                long leftNanos = deadline - System.nanoTime();
                // round up so a 0.5 ms wait does not become a busy 0 ms poll
                int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(0, (leftNanos + 999_999) / 1_000_000));
                int rc = Libc.poll(err, pfd, 1, millis);
                if (rc > 0) {
                    return true;
                }
                if (rc == 0) {
                    if (System.nanoTime() - deadline >= 0) {
                        return false;
                    }
                    continue;
                }
                int errno = Libc.errno(err);
                if (errno != Errno.EINTR) {
                    throw new NativeException("poll", what, errno);
                }
            }
        }
    }
}
