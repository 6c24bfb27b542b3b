package dev.herd.runtime;

import dev.herd.ClusterSpec;
import dev.herd.control.ControlJson;
import dev.herd.supervisor.HandOff;
import dev.herd.supervisor.Supervisor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The running master's end of a hand-over ({@link Handover}): listens on {@code STATE-DIR/takeover.sock} (private
 * to the master's user, like the state dir), one hand-over at a time: a second new master asking meanwhile is
 * refused. The new master must run as the same user (its peer credentials are checked).
 */
final class HandoverServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HandoverServer.class);

    /** What this master lets go of once the new one confirms, before it says bye; returns nothing, never throws. */
    interface Release {
        void letGo();
    }

    private final ServerSocketChannel server;
    private final Path path;
    private final ClusterSpec spec;
    private final InetSocketAddress bound;
    private final Supervisor supervisor;
    private final StateDirectory state;
    private final Release release;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile boolean closed;
    private volatile boolean handedOver;

    private HandoverServer(ServerSocketChannel server, Path path, ClusterSpec spec, InetSocketAddress bound,
                           Supervisor supervisor, StateDirectory state, Release release) {
        this.server = server;
        this.path = path;
        this.spec = spec;
        this.bound = bound;
        this.supervisor = supervisor;
        this.state = state;
        this.release = release;
    }

    static HandoverServer open(ClusterSpec spec, InetSocketAddress bound, Supervisor supervisor, StateDirectory state,
                               Release release) {
        Path path = Handover.socketPath(spec.stateDir());
        try {
            Files.deleteIfExists(path);
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path), 4);
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            HandoverServer handover = new HandoverServer(server, path, spec, bound, supervisor, state, release);
            Thread.ofVirtual().name("herd-handover").start(handover::acceptLoop);
            return handover;
        } catch (IOException e) {
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
                SocketChannel connection = server.accept();
                Thread.ofVirtual().name("herd-handover-connection").start(() -> serve(connection));
            } catch (IOException e) {
                if (!closed) {
                    log.warn("event=handover.accept_failed error=\"{}\"", e.getMessage());
                }
                return;
            }
        }
    }

    private void serve(SocketChannel connection) {
        try (connection) {
            InputStream in = Channels.newInputStream(connection);
            OutputStream out = Channels.newOutputStream(connection);
            Handover.Hello hello;
            try {
                hello = ControlJson.convert(Handover.read(connection, in, Handover.HELLO_LIMIT, "hello"),
                        Handover.Hello.class);
            } catch (IOException | RuntimeException e) {
                log.warn("event=handover.refused reason=\"{}\"", e.getMessage());
                refuse(out, "malformed hello: " + e.getMessage());
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
                refuse(out, refusal);
                return;
            }
            try {
                handOver(hello, connection, in, out);
            } finally {
                busy.set(false);
            }
        } catch (IOException e) {
            log.debug("event=handover.connection_error error=\"{}\"", e.getMessage());
        }
    }

    private void handOver(Handover.Hello hello, SocketChannel connection, InputStream in, OutputStream out)
            throws IOException {
        HandOff handOff = new HandOff(hello.pid());
        supervisor.freeze(handOff, Handover.CONFIRM_LIMIT.plus(Handover.ANSWER_LIMIT));
        HandOff.Frozen frozen;
        try {
            frozen = handOff.awaitFrozen(Handover.ANSWER_LIMIT);
        } catch (Exception e) {
            refuse(out, e.getMessage());
            return;
        }
        boolean confirmed = false;
        try {
            state.releaseLock();
            out.write(Handover.line(Handover.message("ready", "pid", ProcessHandle.current().pid(),
                    "argv", frozen.argv(), "env", frozen.env(), "workers", frozen.slots())));
            Map<String, Object> answer = Handover.read(connection, in, Handover.CONFIRM_LIMIT, "confirmation");
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
                out.write(Handover.line(Handover.message("bye")));
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

    /** Null when the peer runs as this master's user; else why it is refused. */
    private static String sameUser(SocketChannel connection) {
        try {
            String peer = connection.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user().getName();
            String own = System.getProperty("user.name");
            // the JDK names a uid without a passwd entry (containers) by its number
            String ownUid = Integer.toString(dev.herd.os.ResourceLimits.realUid());
            return peer.equals(own) || peer.equals(ownUid) ? null
                    : "the running master belongs to user " + own + " (uid " + ownUid + "); the new one runs as " + peer
                    + "; take over as that user";
        } catch (IOException | UnsupportedOperationException e) {
            return "cannot tell who the new master runs as: " + e.getMessage();
        }
    }

    private static void refuse(OutputStream out, String why) {
        try {
            out.write(Handover.line(Handover.message("refused", "error", why)));
        } catch (IOException e) {
            // the new master is gone already
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
            if (!handedOver) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            log.debug("event=handover.close_error error=\"{}\"", e.getMessage());
        }
    }
}
