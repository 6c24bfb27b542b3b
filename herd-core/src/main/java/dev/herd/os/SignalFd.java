package dev.herd.os;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A signalfd(2): signals that every thread of the process blocks stay pending, and reading this descriptor takes
 * them one by one. Unlike the JDK's sun.misc.Signal, which starts a new thread for every signal it dispatches (and
 * loses the signal when it cannot), reading needs no thread but the reader's own. Works only when the signals are
 * blocked in every thread: the process must have been started with them blocked (the mask is inherited across
 * exec) and with -Xrs, without which the JVM unblocks HUP, INT and TERM in each thread it makes.
 *
 * <p>Non-blocking: the owner polls the descriptor (readable while a signal is pending) beside its others and then
 * {@linkplain #poll takes} what is pending, so it needs no thread of its own.
 */
public final class SignalFd implements AutoCloseable {
    private static final int SFD_NONBLOCK = 0x800;
    private static final int SFD_CLOEXEC = 0x80000;
    private static final int SIGINFO_SIZE = 128;
    private static final int KERNEL_SIGSET_SIZE = 8; // the kernel's sigset: 64 signals, unlike glibc's 1024-bit one

    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SignalFd(int fd) {
        this.fd = fd;
    }

    /** Whether the calling thread blocks every one of these signals (SigBlk in /proc/thread-self/status). */
    public static boolean blockedInThisThread(Collection<Signal> signals) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
                if (line.startsWith("SigBlk:")) {
                    long blocked = Long.parseUnsignedLong(line.substring("SigBlk:".length()).strip(), 16);
                    return signals.stream().allMatch(s -> (blocked & (1L << (s.number() - 1))) != 0);
                }
            }
            return false;
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    /** @throws NativeException e.g. EMFILE */
    public static SignalFd open(Collection<Signal> signals) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(KERNEL_SIGSET_SIZE, 8);
            long bits = 0;
            for (Signal signal : signals) {
                bits |= 1L << (signal.number() - 1);
            }
            mask.set(JAVA_LONG, 0, bits);
            MemorySegment err = Libc.errnoState(arena);
            long fd = Libc.syscall6(err, Libc.SYS_SIGNALFD4, -1, mask.address(), KERNEL_SIGSET_SIZE,
                    SFD_NONBLOCK | SFD_CLOEXEC, 0, 0);
            if (fd < 0) {
                throw new NativeException("signalfd", signals.toString(), Libc.errno(err));
            }
            return new SignalFd((int) fd);
        }
    }

    /** Takes one pending signal without blocking; empty when none is pending. */
    public Optional<Signal> poll() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(SIGINFO_SIZE, 8);
            while (true) {
                MemorySegment err = Libc.errnoState(arena);
                long n = Libc.syscall(err, Libc.SYS_READ, fd, info.address(), SIGINFO_SIZE);
                if (n == SIGINFO_SIZE) {
                    return Optional.of(Signal.of(info.get(JAVA_INT, 0))); // ssi_signo
                }
                int errno = Libc.errno(err);
                if (n < 0 && errno == Errno.EAGAIN) {
                    return Optional.empty();
                }
                if (n < 0 && errno != Errno.EINTR) {
                    throw new NativeException("read", "signalfd", errno);
                }
            }
        }
    }

    /** For poll(2): readable while one of the signals is pending. */
    public int fd() {
        return fd;
    }

    /** Idempotent; the signals stay blocked (and pending ones stay pending). */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Libc.closeChecked(fd, "signalfd");
        }
    }
}
