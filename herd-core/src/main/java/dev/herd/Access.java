package dev.herd;

/**
 * How much a caller of a control command is trusted (cluster-service's levels), lowest first. A command has the
 * lowest level allowed to run it; a caller runs it when its own level is at least that.
 */
public enum Access {
    /** A caller over the HTTP API with the access key. */
    REMOTE,
    /** A caller on the master's local control socket (the {@code herd} CLI on the same machine, same user). */
    LOCAL,
    /** Code inside the master itself (library mode). */
    INPROC;

    /** Whether a caller with this level may run a command that needs {@code required}. */
    public boolean allows(Access required) {
        return compareTo(required) >= 0;
    }

    public String label() {
        return EnumLabels.label(this);
    }
}
