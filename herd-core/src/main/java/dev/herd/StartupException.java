package dev.herd;

/**
 * The cluster could not start: nothing was left running. The message is one line for an operator: what was
 * wrong, with which input, and what to do. {@link #exitCode()} is the master's documented exit code for it.
 */
public final class StartupException extends RuntimeException {
    /** Bad input: an unknown flag, a bad value, a missing or non-executable command. */
    public static final int USAGE = 2;
    /** The listening socket or the state/log directories could not be set up (e.g. the port is in use). */
    public static final int SETUP = 3;

    private final int exitCode;

    public StartupException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public StartupException(int exitCode, String message) {
        this(exitCode, message, null);
    }

    public int exitCode() {
        return exitCode;
    }
}
