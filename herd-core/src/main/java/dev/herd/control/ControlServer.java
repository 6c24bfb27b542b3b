package dev.herd.control;

import dev.herd.StartupException;
import dev.herd.command.CommandException;
import dev.herd.Access;
import dev.herd.logs.LiveFeed;
import dev.herd.logs.WorkerLogs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The master's local control socket ({@code STATE-DIR/control.sock}, mode 0600 inside a 0700 directory): the
 * `herd` CLI sends commands here. Each connection is served on a virtual thread; commands are carried out by
 * the supervisor thread, and a slow one (a reload) only keeps its own connection waiting.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
    public static final String SOCKET_NAME = "control.sock";

    private final Path path;
    private final ServerSocketChannel channel;
    private final CommandTable commands;
    private final Streams streams;
    private final InFlight inFlight = new InFlight();
    private final LocalConnections<SocketChannel> connections;
    private volatile boolean closed;

    private ControlServer(Path path, ServerSocketChannel channel, CommandTable commands, Streams streams, int maxConnections) {
        this.path = path;
        this.channel = channel;
        this.commands = commands;
        this.streams = streams;
        this.connections = new LocalConnections<>(maxConnections, ControlLimits.REQUEST_TIMEOUT, System::nanoTime);
    }

    /**
     * Binds the socket. A leftover socket of a dead master is replaced; one that still answers belongs to a
     * running master, and starting a second one on the same state dir is refused.
     */
    static ControlServer open(Path stateDir, CommandTable commands, Streams streams, int maxConnections) {
        Path path = stateDir.resolve(SOCKET_NAME);
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            if (answers(path)) {
                throw new StartupException(StartupException.SETUP, "another master is running with state dir "
                        + stateDir + " (its control socket answers); stop it first or choose another --state-dir");
            }
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                throw new StartupException(StartupException.SETUP, "cannot remove stale " + path + ": " + e.getMessage());
            }
        }
        try {
            ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            channel.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            ControlServer server = new ControlServer(path, channel, commands, streams, maxConnections);
            // virtual: a blocked accept or a sleep holds no platform thread
            Thread.ofVirtual().name("herd-control").start(server::acceptLoop);
            Thread.ofVirtual().name("herd-control-timeouts").start(server::closeOverdueLoop);
            return server;
        } catch (IOException e) {
            throw new StartupException(StartupException.SETUP, "cannot open control socket " + path + ": " + e.getMessage(), e);
        }
    }

    private static boolean answers(Path path) {
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            return probe.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel connection = channel.accept();
                if (connections.admit(connection)) {
                    Thread.ofVirtual().name("herd-control-conn").start(() -> serve(connection));
                } else {
                    refuse(connection);
                }
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    log.warn("event=control.accept_error error=\"{}\"", e.getMessage());
                    pause(); // out of fds: retrying at once would only spin and flood the log
                }
            }
        }
    }

    /** Every connection is running a command or following a stream: the new one gets one error line and is closed. */
    private static void refuse(SocketChannel connection) {
        try (connection) {
            connection.configureBlocking(false); // a client that does not read must not stall the accept loop
            connection.write(java.nio.ByteBuffer.wrap((ControlProtocol.error("too many control connections (every one "
                    + "is running a command or following a stream); close some and try again") + "\n")
                    .getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            // it is closed either way
        }
    }

    /**
     * Closes connections that did not send a whole request line within the request timeout: every
     * {@link #OVERDUE_CHECK_MILLIS} while a connection waits for one, not at all while none does (an idle master's
     * timed wake-ups were its largest idle cost).
     */
    private void closeOverdueLoop() {
        while (!closed) {
            try {
                connections.awaitWaiting(() -> closed);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            connections.closeOverdue();
            pause();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(OVERDUE_CHECK_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** How often overdue connections are looked for, and how long the accept loop rests after an error. */
    private static final long OVERDUE_CHECK_MILLIS = 250;

    private void serve(SocketChannel connection) {
        try (connection;
             BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(connection),
                     StandardCharsets.UTF_8));
             OutputStream out = Channels.newOutputStream(connection)) {
            String line;
            while ((line = LineReader.readLine(in, ControlProtocol.MAX_LINE_BYTES)) != null) {
                connections.busy(connection);
                CommandRequest follow = followRequest(line);
                if (follow != null) {
                    follow(out, line, follow);
                    return;
                }
                inFlight.begin();
                try {
                    out.write((answer(line) + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } finally {
                    inFlight.end();
                }
                connections.waiting(connection);
            }
        } catch (LineReader.LineTooLongException e) {
            log.warn("event=control.bad_request error=\"{}\"", e.getMessage());
        } catch (IOException e) {
            // the client went away, or sent no whole request within the timeout; nothing to answer
        } finally {
            connections.closed(connection);
        }
    }

    /**
     * {@code {"command":"events","follow":true}} or {@code {"command":"logs","args":[...],"follow":true}}: the
     * usual answer, then every new event or log line as one JSON object per line until the client leaves; null
     * for any other request.
     */
    private static CommandRequest followRequest(String line) {
        try {
            CommandRequest request = ControlProtocol.parse(line);
            boolean streams = request.name().equals("events") || request.name().equals("logs");
            return streams && request.flag("follow") ? request : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private void follow(OutputStream out, String line, CommandRequest request) throws IOException {
        if (request.name().equals("events")) {
            LiveFeed<EventHub.Entry> feed = streams.events().subscribe(0);
            stream(out, answer(line), feed, EventHub.Entry::json);
            return;
        }
        LogRequest wanted;
        try {
            wanted = LogRequest.parse(request.arg(0), request.arg(1), streams.logs().slots());
        } catch (CommandException e) {
            out.write((ControlProtocol.error(e.getMessage()) + "\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        // subscribed and answered (the tail) at one instant: a line copied in between would be in both
        WorkerLogs logs = streams.logs();
        String[] answer = new String[1];
        LiveFeed<WorkerLogs.Line> feed = logs.whileNoLineIsCopied(() -> {
            LiveFeed<WorkerLogs.Line> subscribed = logs.follow(wanted.slot());
            answer[0] = answer(line);
            return subscribed;
        });
        stream(out, answer[0], feed, logLine -> ControlJson.write(BuiltInCommands.logLine(logLine)));
    }

    /**
     * The request's answer, then each item of the feed as one line, until the feed ends or the client goes away
     * (noticed at the next write). The caller subscribes the feed before it takes the answer, so nothing falls between.
     */
    private <T> void stream(OutputStream out, String answer, LiveFeed<T> feed, java.util.function.Function<T, String> toLine)
            throws IOException {
        try (feed) {
            out.write((answer + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                T item = feed.next(java.time.Duration.ofMinutes(1));
                if (item == null) {
                    continue;
                }
                if (feed.isEnd(item)) {
                    return;
                }
                out.write((toLine.apply(item) + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while following");
        }
    }

    private String answer(String line) {
        CommandRequest request;
        try {
            request = ControlProtocol.parse(line);
        } catch (IllegalArgumentException e) {
            return ControlProtocol.error(e.getMessage());
        }
        try {
            return ControlProtocol.ok(commands.run(request, Access.LOCAL).join());
        } catch (RuntimeException e) {
            return ControlProtocol.error(ControlErrors.of(e, request.name(), "control.error").message());
        }
    }

    /** Stops accepting; answers being written get up to {@link InFlight#GRACE} to finish (a stop's own answer). */
    @Override
    public void close() {
        close(true);
    }

    /** Stops accepting; lets the commands in flight finish (at most {@link InFlight#GRACE}) when asked to. */
    void close(boolean waitForCommands) {
        closed = true;
        connections.wake();
        if (waitForCommands) {
            inFlight.awaitIdle();
        }
        try {
            channel.close();
        } catch (IOException e) {
            // closing anyway
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("event=control.cleanup_error path={} error=\"{}\"", path, e.getMessage());
        }
    }
}
