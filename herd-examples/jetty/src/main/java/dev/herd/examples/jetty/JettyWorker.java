package dev.herd.examples.jetty;

import dev.herd.worker.Worker;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Jetty 12 server as a Herd worker: serves on the listening socket the master hands over as fd 0
 * (or on {@code 0.0.0.0:$PORT} when started by hand), see {@link JettyApp}.
 *
 * <p>Signals: the first SIGTERM drains gracefully and exits 0; a second SIGTERM exits at once (143).
 * SIGINT is left to the JVM: its shutdown hook stops Jetty gracefully ({@code setStopAtShutdown}).
 *
 * <p>System properties: {@code herd.jetty.stopTimeoutMs} (25000), {@code herd.jetty.drainIdleMs}
 * (1000), {@code herd.jetty.idleTimeoutMs} (60000), see {@link JettyConfig}. Environment:
 * {@code HERD_WORKER_ID}, {@code HERD_GENERATION}, {@code PORT} (see {@link Worker}) and
 * {@code HERD_APP_VERSION} (default {@code v1}).
 *
 * <p>Never reads System.in: fd 0 is the listening socket.
 */
public final class JettyWorker {

    private JettyWorker() {
    }

    public static void main(String[] args) throws InterruptedException {
        Worker worker;
        ServerSocketChannel channel;
        JettyConfig config;
        try {
            worker = Worker.current();
            channel = worker.serverChannel(); // also keeps System.out/err alive once the channel is closed
            config = JettyConfig.fromSystemProperties();
        } catch (IOException | IllegalStateException e) {
            Log.error("herd-jetty: " + e.getMessage());
            System.exit(1);
            return;
        }
        Identity identity = new Identity(worker.slot(), ProcessHandle.current().pid(), worker.generation(),
                Identity.versionFromEnv());
        JettyApp app;
        try {
            app = JettyApp.start(channel, identity, config);
        } catch (Exception e) {
            Log.error(identity.logPrefix() + " cannot start: " + e);
            System.exit(1);
            return;
        }
        installSignalHandler(app);
        JettyApp.DrainResult result;
        while ((result = app.awaitStopped(Duration.ofDays(1))) == null) {
            // only a drain ends this process normally
        }
        Log.info(identity.logPrefix() + " exiting" + (result.completed() ? "" : " (" + result.problem() + ")"));
        System.exit(0);
    }

    private static void installSignalHandler(JettyApp app) {
        AtomicBoolean termSeen = new AtomicBoolean();
        try {
            JdkSignals.handle("TERM", () -> {
                if (termSeen.getAndSet(true)) {
                    Log.info(app.identity().logPrefix() + " second SIGTERM: exiting now, requests in flight="
                            + app.inFlight());
                    Runtime.getRuntime().halt(143);
                } else {
                    app.drain(); // returns at once; main() exits when the drain completes
                }
            });
        } catch (IllegalArgumentException e) {
            // signal in use by the JVM (e.g. run with -Xrs): the default action still stops the process
            Log.error(app.identity().logPrefix() + " cannot handle SIGTERM, no graceful drain: " + e.getMessage());
        }
    }
}
