package dev.herd.worker;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The worker's end of its channel to the master ({@code HERD_CHANNEL}, docs/protocol.md): JSON lines both ways.
 * Connected on first use; a daemon thread reads what the master sends (drain, answers to asks, notifications,
 * messages). When the master is gone, sends are dropped and pending asks fail: a worker never fails because its
 * master did. A new master that adopts the worker binds the channel again at the same path: the worker connects
 * to it on its next send (at most one attempt a second), or by itself within half a second when it listens for
 * the drain, messages or notifications.
 */
final class MasterChannel {
    static final int VERSION = 1;
    /** Sends while the master is unreachable try to connect again at most this often. */
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How often a worker that listens to its master looks for a new one after losing the old. */
    private static final long RECONNECT_POLL_MILLIS = 500;

    private final Path path;
    private SocketChannel socket;
    private OutputStream out;
    /** When the last attempt to reach the master failed (0: none failed since the last connection). */
    private long failedAtNanos;
    private boolean reconnecting;
    private final AtomicLong ids = new AtomicLong();
    private final Map<String, CompletableFuture<String>> pending = new ConcurrentHashMap<>();
    private final List<Runnable> drainHandlers = new CopyOnWriteArrayList<>();
    private final AtomicBoolean drained = new AtomicBoolean();
    private final Map<String, List<Consumer<String>>> notificationHandlers = new ConcurrentHashMap<>();
    private final List<Consumer<String>> messageHandlers = new CopyOnWriteArrayList<>();

    MasterChannel(Path path) {
        this.path = path;
    }

    /** Sends {@code {"v":1,"type":TYPE,...fields}}; fields alternate names and string values. */
    synchronized boolean send(String type, String... fields) {
        if (!connect()) {
            return false;
        }
        StringBuilder line = new StringBuilder("{\"v\":").append(VERSION).append(",\"type\":");
        quote(line, type);
        for (int i = 0; i + 1 < fields.length; i += 2) {
            line.append(',');
            quote(line, fields[i]);
            line.append(':');
            quote(line, fields[i + 1]);
        }
        line.append("}\n");
        try {
            out.write(line.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            return true;
        } catch (IOException e) {
            disconnected(); // the master is gone: carry on without it
            return false;
        }
    }

    /**
     * Connects and starts reading what the master sends; false when there is no master to reach (tried again at
     * most once a second).
     */
    synchronized boolean connect() {
        if (out != null) {
            return true;
        }
        if (failedAtNanos != 0 && System.nanoTime() - failedAtNanos < RETRY_NANOS) {
            return false;
        }
        SocketChannel opened = null;
        try {
            opened = SocketChannel.open(StandardProtocolFamily.UNIX);
            opened.connect(UnixDomainSocketAddress.of(path));
            OutputStream stream = Channels.newOutputStream(opened);
            String hello = "{\"v\":" + VERSION + ",\"type\":\"hello\",\"pid\":\"" + ProcessHandle.current().pid() + "\"}\n";
            stream.write(hello.getBytes(StandardCharsets.UTF_8));
            stream.flush();
            socket = opened;
            out = stream;
            failedAtNanos = 0;
            SocketChannel reading = opened;
            Thread reader = new Thread(() -> readLoop(reading), "herd-worker-channel");
            reader.setDaemon(true);
            reader.start();
            return true;
        } catch (IOException e) {
            closeQuietly(opened);
            failedAtNanos = System.nanoTime();
            return false;
        }
    }

    private void readLoop(SocketChannel from) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(from), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                handle(line);
            }
        } catch (IOException e) {
            // the master is gone
        } finally {
            synchronized (this) {
                if (socket == from) {
                    disconnected();
                }
            }
            pending.values().forEach(f -> f.completeExceptionally(new WorkerException("the master is gone")));
            pending.clear();
        }
    }

    /** The master went away: drop the connection; a worker that listens to its master looks for the next one. */
    private synchronized void disconnected() {
        closeQuietly(socket);
        socket = null;
        out = null;
        failedAtNanos = System.nanoTime();
        boolean listens = !drainHandlers.isEmpty() || !messageHandlers.isEmpty() || !notificationHandlers.isEmpty();
        if (listens && !reconnecting && !drained.get()) {
            reconnecting = true;
            Thread finder = new Thread(this::reconnectLoop, "herd-worker-reconnect");
            finder.setDaemon(true);
            finder.start();
        }
    }

    /** Until a master answers at the channel's path again (one adopting this worker), or the worker drains. */
    private void reconnectLoop() {
        try {
            while (!drained.get()) {
                Thread.sleep(RECONNECT_POLL_MILLIS); // a periodic retry, not synchronisation
                synchronized (this) {
                    failedAtNanos = 0;
                    if (connect()) {
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            synchronized (this) {
                reconnecting = false;
            }
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // already gone
            }
        }
    }

    /** One line from the master; anything malformed or unknown is ignored (a newer master may say more). */
    void handle(String line) {
        Map<String, Object> message;
        try {
            message = FlatJson.parse(line);
        } catch (IllegalArgumentException e) {
            return;
        }
        Object type = message.get("type");
        if ("drain".equals(type)) {
            if (drained.compareAndSet(false, true)) {
                drainHandlers.forEach(MasterChannel::runQuietly);
            }
        } else if ("answer".equals(type)) {
            CompletableFuture<String> waiting = pending.remove(String.valueOf(message.get("id")));
            if (waiting != null) {
                if (Boolean.TRUE.equals(message.get("ok"))) {
                    waiting.complete(text(message.get("payload")));
                } else {
                    waiting.completeExceptionally(new WorkerException(text(message.get("error"))));
                }
            }
        } else if ("message".equals(type)) {
            String payload = text(message.get("payload"));
            messageHandlers.forEach(h -> runQuietly(() -> h.accept(payload)));
        } else if ("notify".equals(type)) {
            List<Consumer<String>> handlers = notificationHandlers.get(text(message.get("kind")));
            if (handlers != null) {
                String payload = text(message.get("payload"));
                handlers.forEach(h -> runQuietly(() -> h.accept(payload)));
            }
        }
    }

    private static String text(Object value) {
        return value == null ? null : value.toString();
    }

    private static void runQuietly(Runnable handler) {
        try {
            handler.run();
        } catch (RuntimeException e) {
            System.err.println("herd worker: a handler failed: " + e);
        }
    }

    CompletableFuture<String> ask(String kind, String payload, Duration timeout) {
        String id = Long.toString(ids.incrementAndGet());
        CompletableFuture<String> answer = new CompletableFuture<>();
        pending.put(id, answer);
        if (!send("ask", "id", id, "kind", kind, "payload", payload == null ? "" : payload,
                "timeoutMs", Long.toString(timeout.toMillis()))) {
            pending.remove(id);
            answer.completeExceptionally(new WorkerException("no master to ask (" + kind + ")"));
            return answer;
        }
        return answer.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).handle((value, error) -> {
            pending.remove(id);
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            if (cause instanceof TimeoutException) {
                throw new WorkerException("ask '" + kind + "' timed out after " + timeout.toMillis() + " ms");
            }
            if (cause != null) {
                throw cause instanceof WorkerException w ? w : new WorkerException(String.valueOf(cause));
            }
            return value;
        });
    }

    void onDrain(Runnable handler) {
        drainHandlers.add(handler);
        connect(); // so that the master can tell
    }

    void onMessage(Consumer<String> handler) {
        messageHandlers.add(handler);
        connect();
    }

    void onNotification(String kind, Consumer<String> handler) {
        notificationHandlers.computeIfAbsent(kind, k -> new CopyOnWriteArrayList<>()).add(handler);
        connect();
    }

    /** A JSON string literal. */
    static void quote(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
