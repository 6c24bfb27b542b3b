package dev.herd;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How the cluster's port reaches its workers. */
public enum ListenMode {
    /** One listening socket; every worker accepts on it (the kernel hands each connection to one waiting worker). */
    SHARED,
    /**
     * One SO_REUSEPORT socket per slot, all kept open by the master; a slot's workers accept on their slot's
     * socket. With sticky sessions, an in-kernel BPF program picks the slot from the client address.
     */
    REUSEPORT,
    /**
     * For applications that bind their own port: each worker listens on a private loopback {@code $PORT} and the
     * master forwards every connection to a serving worker (balance policy, optional PROXY protocol header).
     */
    PROXY;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ListenMode parse(String value) {
        for (ListenMode mode : values()) {
            if (mode.label().equals(value.trim().toLowerCase(Locale.ROOT))) {
                return mode;
            }
        }
        throw new IllegalArgumentException("'" + value + "' is not a listen mode; use one of "
                + Arrays.stream(values()).map(ListenMode::label).collect(Collectors.joining(", ")));
    }
}
