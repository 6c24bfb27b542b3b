package dev.herd.command;

import dev.herd.EnumLabels;

import java.util.Locale;

/**
 * Lifecycle of one worker process: STARTING -> READY -> DRAINING -> EXITED. In a status, FAILED marks a slot given
 * up on and STOPPED one an operator stopped ({@code shutdown}). Written as its lower-case label.
 */
public enum WorkerState {
    STARTING, READY, DRAINING, EXITED, FAILED, STOPPED;

    public String label() {
        return EnumLabels.label(this);
    }

    /** @throws IllegalArgumentException for a label that is none of these */
    public static WorkerState of(String label) {
        return valueOf(label.toUpperCase(Locale.ROOT));
    }
}
