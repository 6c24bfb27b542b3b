package dev.herd.cli;

import dev.herd.ListenMode;

import java.util.Optional;

/**
 * How many carrier threads the master's virtual threads get, decided from the listen mode before the first virtual
 * thread starts (the JDK reads {@value #PARALLELISM} once, when it makes its scheduler; the default is one carrier
 * per core).
 *
 * <p>In the socket modes (shared, reuseport) the master's virtual threads carry only the control plane (control
 * connections, HTTP exchanges), the worker channels and the one-off start-up trim: a few lines a second, each a
 * short burst, none in a client's path; one carrier serves them, and the master has one platform thread fewer for
 * its whole life. Blocking file I/O on a virtual thread still gets a compensating carrier from the JDK, as before.
 * In proxy mode a virtual thread picks and connects a worker for every client connection, and in nat mode the port
 * rescue does the same for a dead worker's queue: those keep the JDK's default, one carrier per core (with one,
 * the proxy's p99 latency under wrk was worse in each of 6 paired runs on 2 cores; docs/benchmarks.md).
 * A value given on the command line (HERD_JAVA_OPTS) is left as it is.
 */
final class Carriers {
    static final String PARALLELISM = "jdk.virtualThreadScheduler.parallelism";

    private Carriers() {
    }

    /** The parallelism to set for this mode, if any: none where it is set already or the mode forwards bytes. */
    static Optional<String> parallelismFor(ListenMode mode, String alreadySet) {
        if (alreadySet != null) {
            return Optional.empty();
        }
        return switch (mode) {
            case SHARED, REUSEPORT -> Optional.of("1");
            case PROXY, NAT -> Optional.empty();
        };
    }

    /** Sets the master's carrier count for its mode; call before its first virtual thread. */
    static void size(ListenMode mode) {
        parallelismFor(mode, System.getProperty(PARALLELISM)).ifPresent(value -> System.setProperty(PARALLELISM, value));
    }
}
