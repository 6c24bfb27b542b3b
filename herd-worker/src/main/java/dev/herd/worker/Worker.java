package dev.herd.worker;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.util.Map;

/**
 * What a worker process needs to know about itself when Herd runs it: its slot, its generation and
 * the listening socket the master handed it.
 *
 * <p>The same code runs without a master ("standalone"): the slot and generation are then 0 and
 * {@link #serverChannel()} binds {@code 0.0.0.0:$PORT} itself, so an app can be started by hand. Under Herd's
 * proxy and nat modes (a private {@code PORT}, no {@code HERD_SOCKET_FD}) it binds {@code $HERD_HOST:$PORT}:
 * loopback in proxy mode, every address in nat mode.
 *
 * <p>Environment variables read (once, by {@link #current()}):
 * <ul>
 *   <li>{@code HERD_WORKER_ID} – the slot; its presence means the process is supervised.
 *       {@code WORKER_ID} is accepted as a fallback for the slot (other supervisors' convention).</li>
 *   <li>{@code HERD_GENERATION} – incremented by every reload, default 0.</li>
 *   <li>{@code PORT} – standalone (default 8080), or the private port in Herd's proxy and nat modes.</li>
 *   <li>{@code HERD_HOST} – with a private port: the address to bind it on (default 127.0.0.1).</li>
 * </ul>
 * An empty variable counts as unset (so {@code HERD_WORKER_ID= java ...} means standalone).
 */
public final class Worker {

    static final String ENV_WORKER_ID = "HERD_WORKER_ID";
    static final String ENV_WORKER_ID_FALLBACK = "WORKER_ID";
    static final String ENV_GENERATION = "HERD_GENERATION";
    static final String ENV_PORT = "PORT";
    static final String ENV_HOST = "HERD_HOST";
    static final int DEFAULT_PORT = 8080;
    static final String ENV_CHANNEL = "HERD_CHANNEL";
    static final String ENV_WATCHDOG_MS = "HERD_WATCHDOG_MS";
    /** Set when the master recycles workers that stay overloaded: measuring starts at once, and is reported. */
    static final String ENV_OVERLOAD_RECYCLE_MS = "HERD_OVERLOAD_RECYCLE_MS";

    /** Where the inherited channel comes from; a seam so tests need not own fd 0. */
    @FunctionalInterface
    interface InheritedChannelSource {
        Channel get() throws IOException;
    }

    private static Worker current;

    private final boolean supervised;
    private final int slot;
    private final int generation;
    /** Kept raw: PORT only matters standalone, so a stray value must not break a supervised worker. */
    private final String port;
    private final InheritedChannelSource inherited;
    private final boolean proxied;
    private final String privateHost;
    private ServerSocketChannel channel;
    /** To the master ({@code HERD_CHANNEL}), null when there is none. */
    private final MasterChannel master;
    private final long watchdogMillis;

    Worker(Map<String, String> env) {
        this(env, System::inheritedChannel);
    }

    Worker(Map<String, String> env, InheritedChannelSource inherited) {
        String herdId = value(env, ENV_WORKER_ID);
        this.supervised = herdId != null;
        if (herdId != null) {
            this.slot = parse(ENV_WORKER_ID, herdId, 0, Integer.MAX_VALUE);
        } else {
            String fallback = value(env, ENV_WORKER_ID_FALLBACK);
            this.slot = fallback == null ? 0 : parse(ENV_WORKER_ID_FALLBACK, fallback, 0, Integer.MAX_VALUE);
        }
        String gen = value(env, ENV_GENERATION);
        this.generation = gen == null ? 0 : parse(ENV_GENERATION, gen, 0, Integer.MAX_VALUE);
        this.port = value(env, ENV_PORT);
        // Herd's proxy and nat modes hand no socket (no HERD_SOCKET_FD) but a private PORT to bind instead
        this.proxied = supervised && value(env, "HERD_SOCKET_FD") == null && this.port != null;
        String host = value(env, ENV_HOST);
        this.privateHost = host == null ? "127.0.0.1" : host;
        this.inherited = inherited;
        String channelPath = value(env, ENV_CHANNEL);
        this.master = supervised && channelPath != null ? new MasterChannel(java.nio.file.Path.of(channelPath)) : null;
        String watchdog = value(env, ENV_WATCHDOG_MS);
        this.watchdogMillis = watchdog == null ? 0 : parse(ENV_WATCHDOG_MS, watchdog, 0, Integer.MAX_VALUE);
        if (master != null) {
            // whenever the lag is measured (the app sheds load with overloaded(), or the master asked), it hears
            lag.onChange(overloaded -> master.send("overload", "overloaded", Boolean.toString(overloaded)));
            if (value(env, ENV_OVERLOAD_RECYCLE_MS) != null) {
                lag.start();
            }
        }
    }

    /** The worker description of this process; the environment is read on the first call only. */
    public static synchronized Worker current() {
        if (current == null) {
            current = new Worker(System.getenv());
        }
        return current;
    }

    /** The stable slot number (0-based) this process runs in; 0 when standalone. */
    public int slot() {
        return slot;
    }

    /** The generation (reload count) this process was started for; 0 when standalone. */
    public int generation() {
        return generation;
    }

    /** True when started by a Herd master ({@code HERD_WORKER_ID} is set). */
    public boolean supervised() {
        return supervised;
    }

    /**
     * Tells the master this worker is ready to serve (counts with {@code --ready-when notify}). Returns false when
     * there is no master to tell (standalone, or it is gone); never throws.
     */
    public boolean ready() {
        return master != null && master.send("ready");
    }

    /** A one-line status the master shows in {@code herd status} and its events. */
    public boolean status(String text) {
        return master != null && master.send("status", "text", text);
    }

    /**
     * Tells the master's watchdog this worker is alive. Once a worker has sent one, it must go on sending them
     * more often than {@link #watchdogInterval()}, or the master replaces it as hung. Call it from the code whose
     * progress proves the worker healthy (its accept or event loop), not from a timer thread of its own.
     */
    public boolean heartbeat() {
        return master != null && master.send("heartbeat");
    }

    /** Tells the master this worker is going away on its own: it stops counting as serving. */
    public boolean stopping() {
        return master != null && master.send("stopping");
    }

    /**
     * Asks the master's delegate handler for {@code kind} (library mode: {@code Herd.cluster().delegate(kind,
     * handler)}) and completes with its answer: work done once in the master instead of in every worker (a
     * config read, a token refresh). Completes exceptionally with a {@link WorkerException} when no answer came
     * within {@code timeout}, the handler failed, or there is no master. The handler may later push changes,
     * which {@link #onNotification} receives.
     */
    public java.util.concurrent.CompletableFuture<String> ask(String kind, String payload, java.time.Duration timeout) {
        if (master == null) {
            return java.util.concurrent.CompletableFuture.failedFuture(new WorkerException("no master to ask (" + kind + ")"));
        }
        return master.ask(kind, payload, timeout);
    }

    /** Receives what the master's delegate handler for {@code kind} pushes later. */
    public void onNotification(String kind, java.util.function.Consumer<String> handler) {
        if (master != null) {
            master.onNotification(kind, handler);
        }
    }

    /** Sends a message to the master's message listeners (library mode {@code onMessage}). */
    public boolean send(String payload) {
        return master != null && master.send("message", "payload", payload);
    }

    /** Receives the messages sent to this worker ({@code herd exec message ...}, the API's {@code message}). */
    public void onMessage(java.util.function.Consumer<String> handler) {
        if (master != null) {
            master.onMessage(handler);
        }
    }

    /**
     * Runs {@code handler} (once, on the channel's thread) when the master tells this worker to drain, which it
     * does together with SIGTERM: for servers that do not handle signals themselves.
     */
    public void onDrain(Runnable handler) {
        if (master != null) {
            master.onDrain(handler);
        }
    }

    private final LagMeter lag = new LagMeter();

    /**
     * Whether this process is overloaded: its event-loop lag (how late a timer fires, smoothed) is above the
     * threshold (default 70 ms, toobusy's). Measuring starts on the first call. A server can answer 503 while this
     * holds rather than take work it cannot finish in time.
     */
    public boolean overloaded() {
        lag.start();
        return lag.overloaded();
    }

    /** The smoothed lag {@link #overloaded()} compares (zero until measuring has started). */
    public java.time.Duration lag() {
        lag.start();
        return lag.lag();
    }

    /** Sets the lag above which {@link #overloaded()} holds. */
    public void overloadThreshold(java.time.Duration threshold) {
        lag.threshold(threshold);
    }

    /** Reports the connections and requests served so far; the master shows them in status and metrics. */
    public boolean counters(long connections, long requests) {
        return master != null && master.send("counters", "connections", Long.toString(connections),
                "requests", Long.toString(requests));
    }

    /**
     * How often to send heartbeats: a third of the master's {@code --watchdog-timeout}, or zero when the master
     * runs no watchdog (then heartbeats are not needed).
     */
    public java.time.Duration watchdogInterval() {
        return java.time.Duration.ofMillis(watchdogMillis / 3);
    }

    /**
     * The listening socket to accept on, in blocking mode as inherited.
     *
     * <p>Supervised: the channel the master passed as fd 0. Standalone: the inherited server channel
     * if there is one (e.g. socket activation), else a new one bound to {@code 0.0.0.0:$PORT}.
     * The same channel is returned on every call.
     *
     * <p>Closing the JDK's inherited channel also points fds 0, 1 and 2 at /dev/null (an inetd legacy);
     * so that closing it to drain does not silence the worker's logs, {@link System#out} and
     * {@link System#err} are first re-pointed at fresh descriptors for the same files.
     *
     * @throws IOException when supervised but fd 0 is not a listening socket, or binding fails
     */
    public synchronized ServerSocketChannel serverChannel() throws IOException {
        if (channel == null) {
            channel = openChannel();
        }
        return channel;
    }

    private ServerSocketChannel openChannel() throws IOException {
        if (proxied) {
            return bind(privateHost); // proxy mode: loopback, only the master connects; nat: every address
        }
        Channel fd0;
        try {
            fd0 = inherited.get();
        } catch (IOException | SecurityException e) {
            if (supervised) {
                throw missingSocket("reading it failed: " + e, e);
            }
            fd0 = null; // standalone: whatever fd 0 is, we bind our own socket
        }
        if (fd0 instanceof ServerSocketChannel server) {
            StdioGuard.detachFromStdFds();
            return server;
        }
        if (supervised) {
            String found = fd0 == null ? "nothing usable (no inherited channel)" : "a " + fd0.getClass().getSimpleName();
            throw missingSocket("found " + found, null);
        }
        return bind("0.0.0.0");
    }

    private IOException missingSocket(String detail, Throwable cause) {
        return new IOException("herd worker (slot " + slot + ", generation " + generation
                + ") expected its listening socket on fd 0 (System.inheritedChannel()) but " + detail
                + ". Workers started with --socket-fd 3 get the socket on fd 3 and must use LISTEN_FDS instead.",
                cause);
    }

    private ServerSocketChannel bind(String host) throws IOException {
        int p = port == null ? DEFAULT_PORT : parse(ENV_PORT, port, 0, 65535);
        // The family explicitly: a default (dual-stack) channel bound to 0.0.0.0 would listen on [::]
        ServerSocketChannel server = ServerSocketChannel.open(
                host.indexOf(':') >= 0 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try {
            // so a quick restart by hand does not fail on connections still in TIME_WAIT
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress(host, p));
            return server;
        } catch (IOException e) {
            server.close();
            throw new IOException("cannot listen on " + host + " port " + p + " (from " + ENV_PORT + "): " + e.getMessage(), e);
        }
    }

    private static String value(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isEmpty() ? null : v;
    }

    private static int parse(String name, String raw, int min, int max) {
        String v = raw.trim();
        try {
            int n = Integer.parseInt(v);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below with the variable's name
        }
        throw new IllegalStateException("bad value for environment variable " + name + ": '" + raw
                + "' (expected an integer from " + min + " to " + max + ")");
    }

    @Override
    public String toString() {
        return "Worker[slot=" + slot + ", generation=" + generation + ", supervised=" + supervised + "]";
    }
}
