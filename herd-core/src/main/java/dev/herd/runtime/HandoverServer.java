package dev.herd.runtime;

import dev.herd.ClusterSpec;
import dev.herd.control.ControlJson;
import dev.herd.supervisor.HandOff;
import dev.herd.supervisor.Supervisor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.os.ProcFs;
import dev.herd.os.UnixListener;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The running master's end of a hand-over ({@link Handover}): listens on {@code STATE-DIR/takeover.sock} (private
 * to the master's user, like the state dir), one hand-over at a time: a second new master asking meanwhile is
 * refused. The new master must run as the same user (its peer credentials are checked). Its listening sockets go to
 * the new master with the answer (SCM_RIGHTS), so the new one needs no ptrace rights over this one.
 */
final class HandoverServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HandoverServer.class);

    /** What this master lets go of once the new one confirms, before it says bye; returns nothing, never throws. */
    interface Release {
        void letGo();
    }

    private final UnixListener server;
    private final Path path;
    /** The ports whose listening sockets this master holds for the cluster (see {@link #socketsToSend}). */
    private final Supplier<Set<Integer>> ports;
    private final ClusterSpec spec;
    private final InetSocketAddress bound;
    private final Supervisor supervisor;
    private final StateDirectory state;
    private final Release release;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile boolean closed;
    private volatile boolean handedOver;

    private HandoverServer(UnixListener server, Path path, Supplier<Set<Integer>> ports, ClusterSpec spec,
                           InetSocketAddress bound, Supervisor supervisor, StateDirectory state, Release release) {
        this.server = server;
        this.path = path;
        this.ports = ports;
        this.spec = spec;
        this.bound = bound;
        this.supervisor = supervisor;
        this.state = state;
        this.release = release;
    }

    /**
     * Listens for a new master; {@code ports} names the ports of the listening sockets to send it (the public one; in
     * nat mode those of the workers, whose copies this master holds).
     */
    static HandoverServer open(ClusterSpec spec, InetSocketAddress bound, Supplier<Set<Integer>> ports,
                               Supervisor supervisor, StateDirectory state, Release release) {
        Path path = Handover.socketPath(spec.stateDir());
        try {
            UnixListener server = UnixListener.listen(path, 4);
            HandoverServer handover = new HandoverServer(server, path, ports, spec, bound, supervisor, state, release);
            // platform threads: the native calls block their carrier
            Thread.ofPlatform().daemon().name("herd-handover").start(handover::acceptLoop);
            return handover;
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot listen for hand-overs at " + path + ": " + e.getMessage(), e);
        }
    }

    /** Whether this master handed its cluster over (its exit then leaves the workers' files to the new one). */
    boolean handedOver() {
        return handedOver;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                server.accept(Duration.ofHours(1)).ifPresent(stream -> Thread.ofPlatform().daemon()
                        .name("herd-handover-connection").start(() -> serve(new HandoverConnection(stream))));
            } catch (RuntimeException e) {
                if (!closed) {
                    log.warn("event=handover.accept_failed error=\"{}\"", e.getMessage());
                }
                return;
            }
        }
    }

    private void serve(HandoverConnection connection) {
        try (connection) {
            Handover.Hello hello;
            try {
                hello = ControlJson.convert(connection.read(Handover.HELLO_LIMIT, Handover.MAX_LINE, "hello"),
                        Handover.Hello.class);
            } catch (IOException | RuntimeException e) {
                log.warn("event=handover.refused reason=\"{}\"", e.getMessage());
                refuse(connection, "malformed hello: " + e.getMessage());
                return;
            }
            String refusal = sameUser(connection);
            if (refusal == null) {
                refusal = Handover.refusal(hello, spec, bound);
            }
            if (refusal == null && !busy.compareAndSet(false, true)) {
                refusal = "another new master is taking over this one now";
            }
            if (refusal != null) {
                log.warn("event=handover.refused to_pid={} reason=\"{}\"", hello.pid(), refusal);
                refuse(connection, refusal);
                return;
            }
            try {
                handOver(hello, connection);
            } finally {
                busy.set(false);
            }
        } catch (RuntimeException e) {
            log.warn("event=handover.connection_error error=\"{}\"", e.getMessage());
        }
    }

    private void handOver(Handover.Hello hello, HandoverConnection connection) {
        HandOff handOff = new HandOff(hello.pid());
        supervisor.freeze(handOff, Handover.CONFIRM_LIMIT.plus(Handover.ANSWER_LIMIT));
        HandOff.Frozen frozen;
        try {
            frozen = handOff.awaitFrozen(Handover.ANSWER_LIMIT);
        } catch (Exception e) {
            refuse(connection, e.getMessage());
            return;
        }
        boolean confirmed = false;
        try {
            Sockets sockets = socketsToSend();
            state.releaseLock();
            connection.write(Handover.message("ready", "pid", ProcessHandle.current().pid(),
                    "argv", frozen.argv(), "env", frozen.env(), "workers", frozen.slots(),
                    "restarts", frozen.counters().restartsBySlot(), "served", served(frozen.counters()),
                    "sockets", sockets.described()), sockets.fds());
            Map<String, Object> answer = connection.read(Handover.CONFIRM_LIMIT, Handover.MAX_LINE, "confirmation");
            if (!"confirm".equals(answer.get("type"))) {
                throw new IOException("expected a confirmation, got " + answer.get("type"));
            }
            if (!handOff.confirm()) {
                throw new IOException("the confirmation came after this master's loop stopped waiting for it");
            }
            confirmed = true;
            handedOver = true;
            try {
                release.letGo();
                log.info("event=master.handed_over to_pid={}", hello.pid());
                connection.write(Handover.message("bye"));
            } finally {
                handOff.letGoDone(); // only now may the loop end, and this process exit: the goodbye is out
            }
        } catch (IOException | RuntimeException e) {
            if (!confirmed) {
                goOn(hello, handOff, e);
            }
        }
    }

    /**
     * The new master failed or vanished before confirming: this one takes its lock back and goes on. Should the lock
     * be held (the new master runs on and takes the cluster anyway), this one leaves the cluster to it instead:
     * never two masters for one set of workers.
     */
    private void goOn(Handover.Hello hello, HandOff handOff, Exception why) {
        if (state.reclaimLock(Duration.ofSeconds(10))) {
            log.warn("event=master.handover_failed to_pid={} error=\"{}\" note=\"this master goes on\"", hello.pid(),
                    why.getMessage());
            handOff.abandon();
            return;
        }
        log.error("event=master.handover_failed to_pid={} error=\"{}\" note=\"the state dir lock is held by another"
                + " process: this master leaves the cluster to it\"", hello.pid(), why.getMessage());
        if (handOff.confirm()) {
            handedOver = true;
            try {
                release.letGo();
            } finally {
                handOff.letGoDone();
            }
        } else {
            handOff.abandon();
        }
    }

    /** Each worker's counters as {@code {"PID":[connections,requests]}}. */
    private static Map<Long, long[]> served(dev.herd.supervisor.CarriedCounters counters) {
        Map<Long, long[]> served = new java.util.TreeMap<>();
        counters.servedByPid().forEach((pid, s) -> served.put(pid, new long[] {s.connections(), s.requests()}));
        return served;
    }

    /** What goes with the answer: descriptions and this master's descriptors, in the same order. */
    private record Sockets(List<Map<String, Object>> described, int[] fds) {
    }

    /** This master's listening sockets on the cluster's ports (found through /proc/self/fd by their inodes). */
    private Sockets socketsToSend() {
        Map<Long, Integer> portOf = new HashMap<>();
        for (int port : ports.get()) {
            ProcFs.listeningSocketInodes(port).forEach(inode -> portOf.put(inode, port));
        }
        List<Map<String, Object>> described = new ArrayList<>();
        List<Integer> fds = new ArrayList<>();
        ProcFs.ownFdsOfSockets(portOf.keySet()).forEach((inode, fd) -> {
            described.add(Map.of("port", portOf.get(inode)));
            fds.add(fd);
        });
        return new Sockets(described, fds.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Null when the peer runs as this master's user; else why it is refused. */
    private static String sameUser(HandoverConnection connection) {
        try {
            int peer = connection.peer().uid();
            int own = dev.herd.os.ResourceLimits.realUid();
            return peer == own ? null
                    : "the running master belongs to user " + System.getProperty("user.name") + " (uid " + own
                    + "); the new one runs as uid " + peer + "; take over as that user";
        } catch (RuntimeException e) {
            return "cannot tell who the new master runs as: " + e.getMessage();
        }
    }

    private static void refuse(HandoverConnection connection, String why) {
        try {
            connection.write(Handover.message("refused", "error", why));
        } catch (IOException e) {
            // the new master is gone already
        }
    }

    @Override
    public void close() {
        closed = true;
        server.close();
        try {
            if (!handedOver) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            log.debug("event=handover.close_error error=\"{}\"", e.getMessage());
        }
    }
}
