package dev.herd.os;

/** A directory or file Herd refuses to use because another user could control it; the message says how to fix it. */
public final class UnsafePathException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnsafePathException(String message) {
        super(message);
    }

    public UnsafePathException(String message, Throwable cause) {
        super(message, cause);
    }
}
