package dev.herd.supervisor;

import java.util.Locale;

/**
 * Lifecycle of one worker process: STARTING -> READY -> DRAINING -> EXITED; FAILED marks a slot given up on,
 * STOPPED one an operator stopped.
 */
public enum WorkerState {
    STARTING, READY, DRAINING, EXITED, FAILED, STOPPED;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
