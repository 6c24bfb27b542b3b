package dev.herd.listen;

import dev.herd.os.ListenerCopy;
import dev.herd.os.NativeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * nat mode (ipcluster's scheme): each worker listens on a private {@code $PORT} of its own, and nftables
 * REDIRECTs each new connection to the public port, in the kernel, to the worker serving the client's address
 * band (see {@link NatRules}). No userspace hop, and sticky: a band stays on its slot, across reloads too.
 *
 * <p>The master holds the public port bound but not listening, so no other program takes it and a connection
 * that no rule redirects (no worker ready yet) is refused rather than left waiting. The rules stay in place until
 * the master exits, after its workers: connections being drained keep their translation. A master killed with
 * SIGKILL leaves them, so its workers keep serving; the next master on the port replaces them.
 */
final class NatListeners implements OwnPortListeners {
    private static final Logger log = LoggerFactory.getLogger(NatListeners.class);
    static final Duration COUNTS_FRESH_FOR = Duration.ofSeconds(1);
    /**
     * How long a retired worker keeps accepting after the rules point its band elsewhere: a handshake that began
     * before the change completes at the old worker's port up to a round trip later, and must find it listening.
     */
    static final Duration RETIRE_GRACE = Duration.ofMillis(500);

    private final Nft nft;
    private final NatRules rules;
    private final Socket reservation;
    private final InetSocketAddress address;
    /** Read by rescue threads: each slot's current target port. */
    private volatile int[] targets;
    private final java.util.Queue<PortRescue> rescues = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** The master's copies of the serving workers' sockets, by port (supervisor thread only). */
    private final Map<Integer, ListenerCopy> copies = new HashMap<>();
    private ForwardingLoops loops;
    private boolean accepting = true;
    private volatile boolean removed;
    /** The cluster went to another master: the table is its now, and stays when this one closes. */
    private volatile boolean handedOver;
    /** New connections per worker port as last read from the kernel, and when ({@link #connectionsCounted}). */
    private Map<Integer, Long> accepted = Map.of();
    private long acceptedReadAt;
    private boolean acceptedUnreadable;

    private NatListeners(Nft nft, NatRules rules, Socket reservation, InetSocketAddress address, int slots) {
        this.nft = nft;
        this.rules = rules;
        this.reservation = reservation;
        this.address = address;
        this.targets = new int[slots];
    }

    static NatListeners open(InetSocketAddress requested, int slots) throws IOException {
        return open(requested, slots, new int[slots], List.of());
    }

    /**
     * Takes the cluster of an earlier master (killed, or handing it over) whose workers serve these ports: the table
     * is replaced by one that already sends each slot's band to its worker ({@code servingPortBySlot}, 0 where a slot
     * has none), with every adopted worker's port guarded.
     */
    static NatListeners adopt(InetSocketAddress requested, int slots, int[] servingPortBySlot, List<Integer> workerPorts,
                              Map<Integer, ListenerCopy> copies) throws IOException {
        NatListeners listeners;
        try {
            listeners = open(requested, slots, servingPortBySlot, workerPorts);
        } catch (IOException | RuntimeException e) {
            copies.values().forEach(ListenerCopy::close);
            throw e;
        }
        listeners.copies.putAll(copies);
        return listeners;
    }

    /** Called while the supervisor's loop is stopped for a hand-over, which makes the copies safe to read. */
    @Override
    public java.util.Set<Integer> heldPorts() {
        return java.util.Set.copyOf(copies.keySet());
    }

    private static NatListeners open(InetSocketAddress requested, int slots, int[] servingPortBySlot,
                                     List<Integer> workerPorts) throws IOException {
        Nft nft = Nft.locate();
        Socket reservation = new Socket();
        try {
            reservation.setReuseAddress(false);
            reservation.bind(requested); // bound, never listening: ours, and refuses what no rule redirects
            InetSocketAddress address = new InetSocketAddress(requested.getAddress(), reservation.getLocalPort());
            NatRules rules = new NatRules(address.getAddress(), address.getPort(), slots);
            int[] targets = NatRules.targets(servingPortBySlot);
            nft.apply(rules.create(targets, workerPorts));
            log.info("event=nat.installed table=inet/{} bands={}{}", rules.table(), NatRules.BANDS,
                    workerPorts.isEmpty() ? "" : " adopted_ports_by_slot=" + describe(targets));
            NatListeners listeners = new NatListeners(nft, rules, reservation, address, slots);
            listeners.targets = targets;
            return listeners;
        } catch (IOException | RuntimeException e) {
            reservation.close();
            throw e;
        }
    }

    /** Every address: a redirected connection arrives at the address of the interface it came in on. */
    @Override
    public String workerHost() {
        return rules.ipv6() ? "::" : "0.0.0.0";
    }

    @Override
    public int newWorkerPort() {
        int port = FreePorts.next(workerHost());
        apply(rules.guard(port));
        return port;
    }

    /**
     * A worker exited. When the master holds a copy of its socket, a {@link PortRescue} accepts from it what was
     * redirected there and not yet accepted (a crashed worker's band until the rules move it, or stragglers of a
     * retired one) and forwards it to the band's current worker. Without a copy, and when the band still came to
     * the port, the rescue binds the port anew. The port stays guarded until the rescue lets go.
     */
    @Override
    public void workerExited(int slot, int port) {
        ListenerCopy copy = copies.remove(port);
        if (removed || !accepting) {
            if (copy != null) {
                copy.close();
            }
            if (!removed) {
                apply(rules.unguard(port));
            }
            return;
        }
        ServerSocketChannel channel = copy != null ? handOver(copy)
                : targets[slot] == port ? PortRescue.bindDeadPort(workerHost(), port) : null;
        if (channel == null) {
            apply(rules.unguard(port));
            return;
        }
        rescues.add(PortRescue.open(channel, port, () -> targets[slot], loops(), () -> unguardFromRescue(port)));
    }

    private static ServerSocketChannel handOver(ListenerCopy copy) {
        try {
            return copy.toChannel();
        } catch (IOException | RuntimeException e) {
            log.warn("event=nat.rescue_failed port={} error=\"{}\"", copy.port(), e.getMessage());
            return null;
        }
    }

    /**
     * Takes a copy of each newly serving worker's socket, so that it outlives the worker: connections the rules
     * send to a worker that has just died wait in its queue for the rescue instead of being refused.
     */
    private void copySockets(List<ServingWorker> serving) {
        for (ServingWorker worker : serving) {
            if (worker.port() == 0 || copies.containsKey(worker.port())) {
                continue;
            }
            try {
                ListenerCopy.take((int) worker.pid(), worker.port(), rules.ipv6())
                        .ifPresentOrElse(copy -> copies.put(worker.port(), copy),
                                () -> log.warn("event=nat.copy_failed slot={} pid={} port={} error=\"not listening\"",
                                        worker.slot(), worker.pid(), worker.port()));
            } catch (NativeException e) {
                log.warn("event=nat.copy_failed slot={} pid={} port={} error=\"{}\"",
                        worker.slot(), worker.pid(), worker.port(), e.getMessage());
            }
        }
    }

    private void unguardFromRescue(int port) {
        rescues.removeIf(rescue -> rescue.port() == port);
        synchronized (this) {
            if (removed) {
                return;
            }
            try {
                nft.apply(rules.unguard(port));
            } catch (IOException e) {
                log.warn("event=nat.unguard_failed port={} error=\"{}\"", port, e.getMessage());
            }
        }
    }

    private synchronized ForwardingLoops loops() {
        if (loops == null) {
            try {
                loops = new ForwardingLoops(1);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return loops;
    }

    @Override
    public Duration retireGrace() {
        return RETIRE_GRACE;
    }

    @Override
    public boolean slotCountCanChange() {
        return false;
    }

    @Override
    public InetSocketAddress address() {
        return address;
    }

    /**
     * The connections the kernel redirected to the worker's port, from the counters of the {@code accepted} set
     * (Herd's own readiness probes and the connections a rescue forwards there are not counted). Reading them runs
     * {@code nft}, a few milliseconds, so a reading serves for {@link #COUNTS_FRESH_FOR}: asked for by the recycler's
     * looks ({@code --max-connections}),
     * {@code herd status} and the metrics, it runs at most once a second.
     */
    @Override
    public synchronized long connectionsCounted(long pid, int port) {
        long now = System.nanoTime();
        if (!acceptedUnreadable && (acceptedReadAt == 0 || now - acceptedReadAt > COUNTS_FRESH_FOR.toNanos())) {
            acceptedReadAt = now;
            try {
                accepted = NatRules.acceptedCounts(com.fasterxml.jackson.jr.ob.JSON.std.anyFrom(nft.run(rules.listAccepted())));
            } catch (IOException | RuntimeException e) {
                acceptedUnreadable = true; // said once; the workers' own counts serve from now on
                log.warn("event=nat.counters_unreadable error=\"{}\" effect=\"connections are counted by the workers"
                        + " themselves from now on\"", e.getMessage());
            }
        }
        return accepted.getOrDefault(port, -1L);
    }

    @Override
    public void servingChanged(List<ServingWorker> serving) {
        if (accepting) {
            copySockets(serving);
            int[] servingPortBySlot = new int[targets.length];
            serving.forEach(worker -> servingPortBySlot[worker.slot()] = worker.port());
            steer(servingPortBySlot);
        }
    }

    /** Rewrites the chains of the slots whose target port changed. */
    private void steer(int[] servingPortBySlot) {
        int[] next = NatRules.targets(servingPortBySlot);
        Map<Integer, Integer> changed = new TreeMap<>();
        for (int slot = 0; slot < next.length; slot++) {
            if (next[slot] != targets[slot]) {
                changed.put(slot, next[slot]);
            }
        }
        if (changed.isEmpty()) {
            return;
        }
        apply(rules.steer(changed));
        targets = next;
        log.info("event=nat.steered serving_slots={} ports_by_slot={}", servingSlots(servingPortBySlot), describe(targets));
    }

    private static String servingSlots(int[] servingPortBySlot) {
        StringBuilder out = new StringBuilder();
        for (int slot = 0; slot < servingPortBySlot.length; slot++) {
            if (servingPortBySlot[slot] > 0) {
                out.append(out.isEmpty() ? "" : ",").append(slot);
            }
        }
        return out.isEmpty() ? "none" : out.toString();
    }

    private static String describe(int[] portBySlot) {
        StringBuilder out = new StringBuilder();
        for (int slot = 0; slot < portBySlot.length; slot++) {
            out.append(slot == 0 ? "" : ",").append(slot).append(':').append(portBySlot[slot] == 0 ? "-" : portBySlot[slot]);
        }
        return out.toString();
    }

    /** New connections are refused from now on; connections already redirected keep their translation. */
    @Override
    public void stopAccepting() {
        if (accepting && !removed) {
            steer(new int[targets.length]);
            accepting = false;
        }
    }

    /**
     * The cluster goes to another master, which replaces the table with its own in one transaction: this one keeps
     * the rules as they are (no steering away, no removal), and lets go of the public port it reserved.
     */
    @Override
    public void handOver() {
        handedOver = true;
        accepting = false;
        try {
            reservation.close();
        } catch (IOException e) {
            log.warn("event=nat.release_failed error=\"{}\"", e.getMessage());
        }
    }

    /** Removes the table: only once no worker is left, since connections lose their translation with it. */
    @Override
    public void close() {
        synchronized (this) {
            if (removed) {
                return;
            }
            removed = true;
        }
        accepting = false;
        rescues.forEach(PortRescue::close);
        copies.values().forEach(ListenerCopy::close);
        if (loops != null) {
            loops.close();
        }
        if (handedOver) {
            log.info("event=nat.kept table=inet/{} note=\"handed over\"", rules.table());
        } else {
            removeTable();
        }
        try {
            reservation.close();
        } catch (IOException e) {
            log.warn("event=nat.release_failed error=\"{}\"", e.getMessage());
        }
    }

    private void removeTable() {
        try {
            nft.apply(rules.delete());
            log.info("event=nat.removed table=inet/{}", rules.table());
        } catch (IOException e) {
            log.error("event=nat.remove_failed table=inet/{} error=\"{}\" fix=\"nft delete table inet {}\"",
                    rules.table(), e.getMessage(), rules.table());
        }
    }

    private void apply(String script) {
        try {
            nft.apply(script);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
