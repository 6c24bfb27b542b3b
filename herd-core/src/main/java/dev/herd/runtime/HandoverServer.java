package dev.herd.runtime;

import dev.herd.ClusterSpec;
import dev.herd.control.ControlJson;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
        CompletableFuture<Void> frozen = new CompletableFuture<>();
        CompletableFuture<Boolean> outcome = new CompletableFuture<>();
        supervisor.freeze(hello.pid(), frozen, outcome, Handover.CONFIRM_LIMIT.plus(Handover.ANSWER_LIMIT));
        try {
            frozen.get(Handover.ANSWER_LIMIT.toSeconds(), TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            refuse(out, e.getCause().getMessage());
            return;
        } catch (java.util.concurrent.TimeoutException | InterruptedException e) {
            outcome.complete(false); // should the loop get to it after all, it goes on at once
            refuse(out, "the running master's loop did not stop within " + Handover.ANSWER_LIMIT.toSeconds() + " s");
            return;
        }
        boolean confirmed = false;
        try {
            state.releaseLock();
            out.write(Handover.line(Handover.message("ready", "pid", ProcessHandle.current().pid())));
            Map<String, Object> answer = Handover.read(connection, in, Handover.CONFIRM_LIMIT, "confirmation");
            if (!"confirm".equals(answer.get("type"))) {
                throw new IOException("expected a confirmation, got " + answer.get("type"));
            }
            confirmed = true;
            handedOver = true;
            release.letGo();
            log.info("event=master.handed_over to_pid={}", hello.pid());
            out.write(Handover.line(Handover.message("bye")));
        } catch (IOException | RuntimeException e) {
            if (!confirmed) {
                log.warn("event=master.handover_failed to_pid={} error=\"{}\" note=\"this master goes on\"", hello.pid(),
                        e.getMessage());
                if (!state.reclaimLock(Duration.ofSeconds(10))) {
                    log.error("event=state.lock_lost note=\"the state dir lock is held by another process\"");
                }
            }
        } finally {
            outcome.complete(confirmed);
        }
    }

    /** Null when the peer runs as this master's user; else why it is refused. */
    private static String sameUser(SocketChannel connection) {
        try {
            java.nio.file.attribute.UserPrincipal peer = connection.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user();
            String own = System.getProperty("user.name");
            return peer.getName().equals(own) ? null
                    : "the running master belongs to user " + own + "; the new one runs as " + peer.getName()
                    + "; take over as " + own;
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
