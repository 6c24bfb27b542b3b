package dev.herd;

/** When a freshly spawned worker counts as ready to take traffic. */
public enum ReadyWhen {
    /** As soon as the process is spawned. */
    STARTED,
    /** When the worker is seen accepting on its inherited socket (read from /proc; needs no worker changes). */
    LISTENING,
    /** When the worker sends {@code READY=1} on {@code NOTIFY_SOCKET} (sd_notify protocol). */
    NOTIFY;

    public String label() {
        return EnumLabels.label(this);
    }

    /** Parses a CLI or config value, with an error that lists the accepted values. */
    public static ReadyWhen parse(String value) {
        return EnumLabels.parse(values(), value, "a readiness mode");
    }
}
