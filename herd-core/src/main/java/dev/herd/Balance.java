package dev.herd;

/** How proxy mode picks a worker for a new connection. */
public enum Balance {
    /** Each serving worker in turn. */
    ROUND_ROBIN,
    /** The serving worker with the fewest open proxied connections (ties: the lowest slot). */
    LEAST_CONN,
    /** A hash of the client address: the same client reaches the same worker while the set of workers holds. */
    IP_HASH;

    public String label() {
        return EnumLabels.label(this);
    }

    public static Balance parse(String value) {
        return EnumLabels.parse(values(), value, "a balance policy");
    }
}
