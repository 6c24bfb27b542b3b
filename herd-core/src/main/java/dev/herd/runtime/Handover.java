package dev.herd.runtime;

import dev.herd.ClusterSpec;
import dev.herd.ListenMode;
import dev.herd.control.ControlJson;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The hand-over of a running cluster from one master to a new one ({@code herd run --takeover}), over
 * {@code STATE-DIR/takeover.sock}: one JSON object per line, each way.
 *
 * <pre>
 * new → old  {"type":"hello","protocol":1,"pid":…,"mode":…,"host":…,"port":…,"workers":…,"sticky":…}
 * old → new  {"type":"ready","pid":…,"argv":[…],"env":{…},"workers":…,"restarts":{"SLOT":n},
 *             "served":{"PID":[connections,requests]},"sockets":[{"port":…},…]}
 *                                         its loop stopped where it is (what it runs now, which an upgrade-master
 *                                         successor keeps, and what it counted, which the new master goes on
 *                                         from), its lock released; with the line come its listening
 *                                         sockets (SCM_RIGHTS, in the order of "sockets"): the shared socket, the
 *                                         reuseport group, the proxy's public socket, in nat mode its copies of the
 *                                         workers' sockets
 *            {"type":"refused","error":…}   nothing changed
 * new → old  {"type":"confirm"}          the new master holds the lock and copies of the sockets
 * old → new  {"type":"bye"}              its control plane and log copier closed; it exits without signalling
 *                                         a worker (proxy mode: once the connections it forwards have ended)
 * </pre>
 *
 * If the new master fails or vanishes before it confirms, the old one takes its lock back and goes on as if
 * nothing happened. The messages and the checks both sides make are here; the two ends are
 * {@link HandoverServer} and {@link HandoverClient}.
 */
final class Handover {
    static final String SOCKET = "takeover.sock";
    /**
     * Raised when the messages or what they mean change; masters of different versions refuse each other. 2: the
     * sockets travel with the answer (1 had the new master copy them with pidfd_getfd).
     */
    static final int PROTOCOL = 2;
    /** The longest line but the answer. */
    static final int MAX_LINE = 4096;
    /** The longest answer: the running command and environment, and up to 1024 slots' sockets. */
    static final int MAX_ANSWER = 256 * 1024;
    /** How long the old master waits for the hello, and for the confirmation after its answer. */
    static final Duration HELLO_LIMIT = Duration.ofSeconds(5);
    static final Duration CONFIRM_LIMIT = Duration.ofSeconds(30);
    /** How long the new master waits for the old one's answers (its loop may be busy with one message first). */
    static final Duration ANSWER_LIMIT = Duration.ofSeconds(30);

    private Handover() {
    }

    static Path socketPath(Path stateDir) {
        return stateDir.resolve(SOCKET);
    }

    /** What the new master asks for. */
    record Hello(int protocol, long pid, String mode, String host, int port, int workers, boolean sticky) {
        static Hello of(ClusterSpec spec, InetSocketAddress address) {
            return new Hello(PROTOCOL, ProcessHandle.current().pid(), Handover.mode(spec.mode()),
                    address.getAddress().getHostAddress(), address.getPort(), spec.workers(), spec.sticky());
        }
    }

    static String mode(ListenMode mode) {
        return mode.name().toLowerCase(Locale.ROOT);
    }

    /**
     * Why the running master (with {@code spec}, bound at {@code bound}) cannot hand over to a new one asking
     * {@code hello}; null when it can.
     */
    static String refusal(Hello hello, ClusterSpec spec, InetSocketAddress bound) {
        if (hello.protocol() != PROTOCOL) {
            return "the running master speaks hand-over protocol " + PROTOCOL + ", the new one " + hello.protocol()
                    + "; upgrade through a version that speaks both, or stop the running master first";
        }
        String mode = mode(spec.mode());
        if (!mode.equals(hello.mode())) {
            return "the running master serves in " + mode + " mode; the new one asks for " + hello.mode()
                    + " mode; take over with --mode " + mode;
        }
        if (hello.port() != 0 && hello.port() != bound.getPort()
                || !bound.getAddress().getHostAddress().equals(hello.host())) {
            return "the running master serves " + ClusterRunner.format(bound) + "; the new one asks for "
                    + hello.host() + ":" + hello.port() + "; take over with the same --host and --port";
        }
        if (spec.mode() == ListenMode.REUSEPORT && (hello.workers() != spec.workers() || hello.sticky() != spec.sticky())) {
            return "the running master's reuseport group has " + spec.workers() + " sockets"
                    + (spec.sticky() ? " with --sticky" : "") + "; take over with --workers " + spec.workers()
                    + (spec.sticky() ? " --sticky" : "") + " (then scale)";
        }
        if (spec.mode() == ListenMode.NAT && hello.workers() != spec.workers()) {
            return "the running master's nat rules have " + spec.workers() + " slots; take over with --workers "
                    + spec.workers();
        }
        return null;
    }

    static Map<String, Object> message(String type, Object... fields) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("type", type);
        for (int i = 0; i + 1 < fields.length; i += 2) {
            message.put((String) fields[i], fields[i + 1]);
        }
        return message;
    }

    static byte[] line(Object message) {
        return (ControlJson.write(message) + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
