package dev.herd;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How proxy mode picks a worker for a new connection. */
public enum Balance {
    /** Each serving worker in turn. */
    ROUND_ROBIN,
    /** The serving worker with the fewest open proxied connections (ties: the lowest slot). */
    LEAST_CONN,
    /** A hash of the client address: the same client reaches the same worker while the set of workers holds. */
    IP_HASH;

    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Balance parse(String value) {
        for (Balance balance : values()) {
            if (balance.label().equals(value.trim().toLowerCase(Locale.ROOT))) {
                return balance;
            }
        }
        throw new IllegalArgumentException("'" + value + "' is not a balance policy; use one of "
                + Arrays.stream(values()).map(Balance::label).collect(Collectors.joining(", ")));
    }
}
