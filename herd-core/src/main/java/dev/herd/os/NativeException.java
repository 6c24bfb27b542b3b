package dev.herd.os;

/**
 * A failed native call. The message names the call, the argument that mattered and the errno, e.g.
 * {@code bind(127.0.0.1:8080) failed: EADDRINUSE (Address already in use)}.
 */
public final class NativeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;
    private final String errnoName;

    /** Public so that fakes of the OS layer can raise the same failures. */
    public NativeException(String call, String argument, int errno) {
        this(call, argument, errno, Errno.name(errno), Errno.describe(errno));
    }

    private NativeException(String call, String argument, int errno, String errnoName, String text) {
        super(call + "(" + argument + ") failed: " + errnoName + " (" + text + ")");
        this.call = call;
        this.errno = errno;
        this.errnoName = errnoName;
    }

    /** The libc function or syscall that failed, e.g. {@code "bind"}. */
    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }

    /** Symbolic errno, e.g. {@code "EADDRINUSE"}. */
    public String errnoName() {
        return errnoName;
    }
}
