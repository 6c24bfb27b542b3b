package dev.herd.examples.demo;

import dev.herd.worker.Worker;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Herd's bundled demo worker: an HTTP/1.1 server on the listening socket the master hands over as
 * fd 0 (or on {@code 0.0.0.0:$PORT} when started by hand).
 *
 * <p>Signals: the first SIGTERM drains gracefully and exits 0; a second SIGTERM exits at once (143);
 * SIGINT always exits at once (130).
 *
 * <p>Never reads System.in: fd 0 is the listening socket.
 *
 * <p>{@code --leak-mb-per-s N} (or {@code HERD_DEMO_LEAK_MB_PER_S=N} in its environment, which the bundled demo
 * inherits from {@code herd run}) makes it leak: it keeps N MiB more of live heap every second, for trying
 * {@code herd run --max-memory}.
 */
public final class DemoWorker {

    private DemoWorker() {
    }

    public static void main(String[] args) throws InterruptedException {
        int leakMbPerSecond;
        try {
            leakMbPerSecond = leakRate(args, System.getenv(LEAK_VARIABLE));
        } catch (IllegalArgumentException e) {
            Log.error("herd-demo: " + e.getMessage());
            System.exit(2);
            return;
        }
        Worker worker;
        ServerSocketChannel channel;
        try {
            worker = Worker.current();
            channel = worker.serverChannel();
        } catch (IOException | IllegalStateException e) {
            Log.error("herd-demo: " + e.getMessage());
            System.exit(1);
            return;
        }
        Identity identity = new Identity(worker.slot(), ProcessHandle.current().pid(), worker.generation(),
                Identity.versionFromEnvironment());
        DemoServer server = new DemoServer(channel, identity, DemoConfig.fromSystemProperties());
        installSignalHandlers(server);
        try {
            server.start();
        } catch (IOException e) {
            Log.error(identity.logPrefix() + " cannot start: " + e);
            System.exit(1);
        }
        startHeartbeats(worker, server.liveness());
        startCounters(worker, server);
        if (leakMbPerSecond > 0) {
            Leak.start(leakMbPerSecond);
        }
        while (!server.awaitDrained(Duration.ofDays(1))) {
            // only a drain ends this process normally
        }
        Log.info(identity.logPrefix() + " exiting");
        System.exit(0);
    }

    static final String LEAK_VARIABLE = "HERD_DEMO_LEAK_MB_PER_S";

    /** The only argument, {@code --leak-mb-per-s N} (N from 1 to 1024), else the environment's; 0 for no leak. */
    static int leakRate(String[] args, String fromEnvironment) {
        if (args.length == 2 && args[0].equals("--leak-mb-per-s")) {
            return rate("--leak-mb-per-s", args[1]);
        }
        if (args.length != 0) {
            throw new IllegalArgumentException("unknown arguments '" + String.join(" ", args)
                    + "'; the only one is --leak-mb-per-s N");
        }
        return fromEnvironment == null || fromEnvironment.isBlank() ? 0 : rate(LEAK_VARIABLE, fromEnvironment.trim());
    }

    private static int rate(String setting, String value) {
        try {
            int rate = Integer.parseInt(value);
            if (rate >= 1 && rate <= 1024) {
                return rate;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(setting + ": '" + value + "' must be a number of MiB from 1 to 1024");
    }

    /** When the master runs a watchdog: a heartbeat whenever the accept loop could still make progress. */
    private static void startHeartbeats(Worker worker, Liveness liveness) {
        Duration interval = worker.watchdogInterval();
        if (interval.isZero()) {
            return;
        }
        Thread.ofPlatform().daemon().name("herd-demo-heartbeat").start(() -> {
            while (true) {
                liveness.checkpoint();
                worker.heartbeat();
                try {
                    Thread.sleep(interval); // the heartbeat's cadence
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /**
     * Under Herd: reports connections and requests served, five times a second (when they changed), for status, metrics
     * and {@code --max-requests}, which acts on the last report.
     */
    private static void startCounters(Worker worker, DemoServer server) {
        if (!worker.supervised()) {
            return;
        }
        Thread.ofPlatform().daemon().name("herd-demo-counters").start(() -> {
            long reported = -1;
            while (true) {
                long requests = server.requestsServed();
                if (requests != reported) {
                    worker.counters(server.connectionsAccepted(), requests);
                    reported = requests;
                }
                try {
                    Thread.sleep(200); // the report's cadence
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    private static void installSignalHandlers(DemoServer server) {
        AtomicBoolean termSeen = new AtomicBoolean();
        try {
            JdkSignals.handle("TERM", () -> {
                if (termSeen.getAndSet(true)) {
                    exitNow(server, "second SIGTERM", 143);
                } else {
                    server.drain(); // returns at once; main() exits when the drain completes
                }
            });
            JdkSignals.handle("INT", () -> exitNow(server, "SIGINT", 130));
        } catch (IllegalArgumentException e) {
            // signal in use by the JVM (e.g. run with -Xrs): the default action still stops the process
            Log.error(server.identity().logPrefix() + " cannot handle signals, no graceful drain: " + e.getMessage());
        }
    }

    private static void exitNow(DemoServer server, String why, int status) {
        Log.info(server.identity().logPrefix() + " " + why + ": exiting now, requests in flight="
                + server.inFlight());
        Runtime.getRuntime().halt(status);
    }
}
