package dev.herd.worker;

/** An ask that did not get an answer: it timed out, the master's handler failed, or there is no master. */
public final class WorkerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public WorkerException(String message) {
        super(message);
    }
}
