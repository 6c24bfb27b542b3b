package dev.herd.listen;

import dev.herd.ClusterSpec;
import dev.herd.os.ListenSocket;

import java.net.InetSocketAddress;

/**
 * The master's listening sockets, held open for the cluster's whole life, and which one each slot's workers
 * inherit. Used by the supervisor thread only.
 */
public interface Listeners extends AutoCloseable {

    /** The socket a worker of this slot inherits, or null when workers bind their own port (proxy mode). */
    ListenSocket socketFor(int slot);

    /** Whether each worker binds a private {@code $PORT} of its own that the master forwards to. */
    default boolean workersBindOwnPort() {
        return false;
    }

    /** The address a worker that binds its own port listens on (given to it as {@code HERD_HOST}). */
    default String workerHost() {
        return "127.0.0.1";
    }

    /** A free private port for a new worker, when {@link #workersBindOwnPort()}. */
    default int newWorkerPort() {
        return FreePorts.next(workerHost());
    }

    /**
     * A worker that had a private port (proxy, nat) has exited; its port is free again. Called first thing when
     * the exit is seen, before the serving set is updated.
     */
    default void workerExited(int slot, int port) {
    }

    /**
     * How long a retired worker keeps accepting after new connections were steered away from it, before it is
     * told to drain: zero where the socket outlives the worker (shared, reuseport); proxy and nat modes wait,
     * because connections already sent to the worker's own socket must be accepted before it closes.
     */
    default java.time.Duration retireGrace() {
        return java.time.Duration.ZERO;
    }

    /**
     * Whether slots may be added or removed while running ({@code scale}): not where sockets or rules are made per
     * slot at start (reuseport, nat).
     */
    default boolean slotCountCanChange() {
        return true;
    }

    /** The address clients connect to (with the real port when the spec asked for port 0). */
    InetSocketAddress address();

    /** The set of workers serving their slot (ready, not retired) changed. */
    void servingChanged(java.util.List<ServingWorker> serving);

    /** The cluster is shutting down: no new connections from now on. Idempotent. */
    default void stopAccepting() {
        close();
    }

    /**
     * The master starts running the cluster: a proxy taken over from a running master starts accepting only now (it
     * shares the public socket's queue with the old master until that one has let go). Nothing to do elsewhere.
     */
    default void ready() {
    }

    /**
     * The cluster goes to another master, which holds copies of these sockets (or, in nat mode, replaces the rules):
     * this one takes no new connection from now on, and leaves what the new one uses in place.
     */
    default void handOver() {
        stopAccepting();
    }

    /**
     * Nat mode on the rules of an earlier master's workers (see {@link NatListeners#adopt}); {@code copies}: the
     * copies of their sockets a master handing over sent, by port (taken over; the others are copied from the
     * workers).
     */
    static Listeners natFrom(InetSocketAddress address, int slots, int[] servingPortBySlot,
                             java.util.List<Integer> workerPorts, java.util.Map<Integer, dev.herd.os.ListenerCopy> copies)
            throws java.io.IOException {
        return NatListeners.adopt(address, slots, servingPortBySlot, workerPorts, copies);
    }

    /**
     * Connections the worker was given so far as this master counts them, whatever the app reports: in proxy mode
     * those it forwarded, in nat mode those the kernel redirected to the worker's port (not those a rescue forwards);
     * -1 where the workers accept from a socket they share and nobody but they can count.
     *
     * @param port the worker's own port (proxy and nat modes), 0 when it accepts on an inherited socket
     */
    default long connectionsCounted(long pid, int port) {
        return -1;
    }

    /**
     * The ports of the listening sockets this master holds for the cluster, which go to a master taking over: the
     * public port (nat mode: its workers' ports, whose sockets it holds copies of).
     */
    default java.util.Set<Integer> heldPorts() {
        return java.util.Set.of(address().getPort());
    }

    /**
     * A master that handed its cluster over: waits until the connections it forwards itself (proxy mode) have ended,
     * at most {@code limit}; returns how many were left. Nothing to wait for where workers accept themselves.
     */
    default int awaitForwardedEnd(java.time.Duration limit) {
        return 0;
    }

    /**
     * Releases everything, once no worker is left; sockets live on in workers that still hold them. Idempotent.
     */
    @Override
    void close();

    /** Shared mode on a socket carried over from an earlier master (a copy taken from it or one of its workers). */
    static Listeners sharedFrom(ListenSocket socket) {
        return new SharedListener(socket);
    }

    /**
     * Reuseport mode on an earlier master's group, one socket per slot in the group's order (copies taken from it or
     * its workers; a slot whose socket was gone bound anew, which joins the group last).
     */
    static Listeners reusePortFrom(java.util.List<ListenSocket> sockets, boolean sticky) {
        return ReusePortListeners.of(sockets, sticky);
    }

    /**
     * The sockets a service manager passed (socket activation): shared mode takes one, reuseport mode one per slot
     * for as many slots as there are and binds the rest into their group (runtime.SocketActivation checked them).
     */
    static Listeners activated(ClusterSpec spec, java.util.List<ListenSocket> sockets) {
        return switch (spec.mode()) {
            case SHARED -> new SharedListener(sockets.getFirst());
            case REUSEPORT -> ReusePortListeners.activated(sockets, spec.backlog(), spec.workers(), spec.sticky());
            case PROXY, NAT -> throw new IllegalStateException("socket activation in " + spec.mode().label() + " mode");
        };
    }

    /** Proxy mode on the public socket of a master that hands its cluster over (a copy taken from it). */
    static Listeners proxyFrom(dev.herd.os.ListenerCopy copy, ClusterSpec spec, InetSocketAddress address)
            throws java.io.IOException {
        return ProxyListener.adopt(copy, address, spec.balance(), spec.proxyHeader(), spec.idleTimeout());
    }

    /**
     * Binds the sockets the spec's mode needs; throws {@link dev.herd.os.NativeException} (or, in proxy and nat
     * modes, an {@link java.io.IOException}; {@link NatUnavailableException} when nat mode cannot work here) when it
     * cannot.
     */
    static Listeners open(ClusterSpec spec, InetSocketAddress address) throws java.io.IOException {
        return switch (spec.mode()) {
            case SHARED -> new SharedListener(ListenSocket.open(address, spec.backlog(), false));
            case REUSEPORT -> ReusePortListeners.open(address, spec.backlog(), spec.workers(), spec.sticky());
            case PROXY -> ProxyListener.open(address, spec.backlog(), spec.balance(), spec.proxyHeader(), spec.idleTimeout());
            case NAT -> NatListeners.open(address, spec.workers());
        };
    }
}
