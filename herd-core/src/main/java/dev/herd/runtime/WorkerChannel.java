package dev.herd.runtime;

import dev.herd.wire.WorkerProtocol;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Consumer;

/**
 * The master's end of one worker's channel (docs/protocol.md): a Unix stream socket at {@code HERD_CHANNEL} that
 * the worker connects to once and writes JSON lines on. Bound before the worker starts, so a worker can connect
 * at once; lines are attributed by the socket they arrive on, like notify datagrams. A line longer than
 * {@link #MAX_LINE} is skipped, whole, and reported as such; nothing a worker writes can stop the master.
 */
final class WorkerChannel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkerChannel.class);
    static final int MAX_LINE = WorkerProtocol.MAX_LINE;
    static final String TOO_LONG = WorkerProtocol.TOO_LONG;

    private final Path path;
    private final ServerSocketChannel server;
    private volatile SocketChannel connection;
    private volatile boolean closed;
    /** A hand-over: the new master binds its own socket at the path; closing this one must not remove it. */
    private volatile boolean keepPath;

    private WorkerChannel(Path path, ServerSocketChannel server) {
        this.path = path;
        this.server = server;
    }

    static WorkerChannel bind(Path path) {
        try {
            Files.deleteIfExists(path);
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path), 1);
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            return new WorkerChannel(path, server);
        } catch (IOException e) {
            throw new IllegalStateException("cannot bind the worker channel " + path + ": " + e.getMessage(), e);
        }
    }

    /** Accepts the worker's connection and hands each line to {@code lines}, on a virtual thread. */
    void start(long pid, Consumer<String> lines) {
        Thread.ofVirtual().name("herd-channel-" + pid).start(() -> serve(pid, lines));
    }

    private void serve(long pid, Consumer<String> lines) {
        try (SocketChannel accepted = server.accept()) {
            connection = accepted;
            server.close(); // one worker, one connection
            if (!keepPath) {
                Files.deleteIfExists(path);
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(accepted), StandardCharsets.UTF_8));
            String line;
            while ((line = readLine(in)) != null) {
                lines.accept(line);
            }
        } catch (IOException e) {
            if (!closed) {
                log.debug("event=channel.closed pid={} error=\"{}\"", pid, e.getMessage());
            }
        }
    }

    /** The next line, {@link #TOO_LONG} for one over the limit (skipped to its end), null at the end. */
    static String readLine(BufferedReader in) throws IOException {
        StringBuilder line = new StringBuilder();
        boolean tooLong = false;
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                return tooLong ? TOO_LONG : line.toString();
            }
            if (!tooLong) {
                if (line.length() >= MAX_LINE) {
                    tooLong = true;
                    line.setLength(0);
                } else {
                    line.append((char) c);
                }
            }
        }
        return line.isEmpty() && !tooLong ? null : tooLong ? TOO_LONG : line.toString();
    }

    /** Writes one line to the worker; false when it is not connected (or gone). */
    boolean send(String line) {
        SocketChannel open = connection;
        if (open == null) {
            return false;
        }
        try {
            synchronized (this) {
                Channels.newOutputStream(open).write((line + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** See {@link #keepPath}. */
    void keepPathOnClose() {
        keepPath = true;
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
            SocketChannel open = connection;
            if (open != null) {
                open.close();
            }
            if (!keepPath) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            log.debug("event=channel.close_error path={} error=\"{}\"", path, e.getMessage());
        }
    }
}
