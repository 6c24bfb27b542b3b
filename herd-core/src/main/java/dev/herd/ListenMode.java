package dev.herd;

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
    PROXY,
    /**
     * ipcluster's scheme, for applications that bind their own port, with no userspace hop: each worker listens on
     * a private {@code $PORT} and nftables REDIRECTs each new connection to the worker serving the client's
     * address band (sticky by design). Needs root (CAP_NET_ADMIN) and the {@code nft} command.
     */
    NAT;

    public String label() {
        return EnumLabels.label(this);
    }

    public static ListenMode parse(String value) {
        return EnumLabels.parse(values(), value, "a listen mode");
    }
}
