package dev.herd.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * How long a control client may take to send its request and how many may be connected at once, on the HTTP API
 * and on the local socket. Slow, idle or piled-up clients must not hold the master's threads or its file
 * descriptors: respawning a crashed worker opens fds, and it must never find them all taken by control connections.
 * So each transport's cap is at most {@link #MAX_CONNECTIONS}, lowered when the master's fd limit is too small to
 * keep {@link #reserve(int)} fds free beside both caps.
 *
 * @param apiConnections   most HTTP API connections open at once (event and log streams included)
 * @param localConnections most local socket connections open at once (followers included)
 * @param fdLimit          the master's RLIMIT_NOFILE when the caps were chosen
 * @param fdsOpen          fds the master had open then
 */
public record ControlLimits(int apiConnections, int localConnections, long fdLimit, long fdsOpen) {
    /**
     * A request must arrive whole this soon: on the HTTP API its line, headers and body, counted from its first
     * byte (a connection that sends nothing is closed after as long); on the local socket each request line,
     * counted from the connection's opening or the previous answer.
     */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    /** An HTTP keep-alive connection idle this long between requests is closed. */
    public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(10);
    /** Most idle HTTP keep-alive connections kept; one more becoming idle is closed at once. */
    public static final int MAX_IDLE_CONNECTIONS = 16;
    /** Each transport's cap when the fd limit allows it: far more than operators and monitors need at once. */
    public static final int MAX_CONNECTIONS = 64;
    /** A transport's cap however small the fd limit: the control plane stays usable, and says it is squeezed. */
    static final int MIN_CONNECTIONS = 4;

    /**
     * The caps for a master that has {@code fdsOpen} of {@code fdLimit} fds open and runs {@code workers} workers:
     * each transport gets half of what is left after the reserve, at most {@link #MAX_CONNECTIONS}.
     */
    static ControlLimits forBudget(long fdLimit, long fdsOpen, int workers) {
        long spare = fdLimit - fdsOpen - reserve(workers);
        int each = (int) Math.max(MIN_CONNECTIONS, Math.min(MAX_CONNECTIONS, spare / 2));
        return new ControlLimits(each, each, fdLimit, fdsOpen);
    }

    /**
     * fds kept out of the control plane's reach: per worker what the master holds for it (pidfd, log spool and
     * file, notify and channel sockets) and opens to respawn it, plus the master's own headroom (its HTTP server's
     * listener and selector, the proxy's and the log watcher's descriptors, a JVM that opens a class file).
     */
    static int reserve(int workers) {
        return 32 + 8 * workers;
    }

    /** The caps for this process, from its fd limit and the fds it has open now. */
    static ControlLimits measure(int workers) {
        return forBudget(processFdLimit(), openFds(), workers);
    }

    /** Whether a cap is below {@link #MAX_CONNECTIONS} because the fd limit is low. */
    public boolean reduced() {
        return apiConnections < MAX_CONNECTIONS || localConnections < MAX_CONNECTIONS;
    }

    /** The soft RLIMIT_NOFILE of this process (the JVM raised it to the hard limit at start), from /proc. */
    private static long processFdLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                    return soft.equals("unlimited") ? Long.MAX_VALUE / 4 : Long.parseLong(soft);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through: assume the common default
        }
        return 1024;
    }

    private static long openFds() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException e) {
            return 64;
        }
    }

    /**
     * Configures the JDK's HTTP server ({@code sun.net.httpserver.*}, read once, when the first server of the JVM
     * is made): the request timeout, the keep-alive idle timeout checked every second, the idle pool and the
     * connection cap. A property already given (e.g. in {@code HERD_JAVA_OPTS}) is left as it is.
     */
    void applyToJdkHttpServer() {
        setIfAbsent("sun.net.httpserver.maxReqTime", Long.toString(REQUEST_TIMEOUT.toSeconds()));
        setIfAbsent("sun.net.httpserver.idleInterval", Long.toString(IDLE_TIMEOUT.toSeconds()));
        setIfAbsent("sun.net.httpserver.clockTick", "1000");
        setIfAbsent("sun.net.httpserver.maxIdleConnections", Integer.toString(MAX_IDLE_CONNECTIONS));
        setIfAbsent("jdk.httpserver.maxConnections", Integer.toString(apiConnections));
    }

    private static void setIfAbsent(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }
}
