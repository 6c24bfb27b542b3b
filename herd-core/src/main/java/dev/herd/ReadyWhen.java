package dev.herd;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** When a freshly spawned worker counts as ready to take traffic. */
public enum ReadyWhen {
    /** As soon as the process is spawned. */
    STARTED,
    /** When the worker is seen accepting on its inherited socket (read from /proc; needs no worker changes). */
    LISTENING,
    /** When the worker sends {@code READY=1} on {@code NOTIFY_SOCKET} (sd_notify protocol). */
    NOTIFY;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a CLI or config value, with an error that lists the accepted values. */
    public static ReadyWhen parse(String value) {
        for (ReadyWhen candidate : values()) {
            if (candidate.label().equals(value.trim().toLowerCase(Locale.ROOT))) {
                return candidate;
            }
        }
        throw new IllegalArgumentException("'" + value + "' is not a readiness mode; use one of "
                + Arrays.stream(values()).map(ReadyWhen::label).collect(Collectors.joining(", ")));
    }
}
