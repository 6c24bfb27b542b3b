package dev.herd.supervisor;

import java.util.Locale;

/** Lifecycle of one worker process: STARTING -> READY -> DRAINING -> EXITED; FAILED marks a slot given up on. */
public enum WorkerState {
    STARTING, READY, DRAINING, EXITED, FAILED;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
