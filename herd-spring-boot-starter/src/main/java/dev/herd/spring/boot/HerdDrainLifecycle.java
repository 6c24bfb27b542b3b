package dev.herd.spring.boot;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the embedded server's Herd drain when the application context closes (SIGTERM from Herd, through Spring's
 * shutdown hook), in the phase just before Spring's graceful shutdown: that one pauses the connector, and a paused
 * connector answers requests on open keep-alive connections with 503 (Tomcat) or closes them under the client
 * (Jetty). Once the drain told every client to go elsewhere and they left, Spring's graceful shutdown waits for the
 * requests still in flight and the server stops, as usual.
 */
final class HerdDrainLifecycle implements SmartLifecycle {
    private static final Log LOG = LogFactory.getLog(HerdDrainLifecycle.class);

    /** A server's drain: stop accepting, {@code Connection: close}, wait for the clients to leave. */
    @FunctionalInterface
    interface Drain {
        void run() throws InterruptedException;
    }

    private final Drain drain;
    private volatile boolean running;

    HerdDrainLifecycle(Drain drain) {
        this.drain = drain;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        try {
            drain.run();
        } catch (InterruptedException e) {
            LOG.warn("herd: the drain was interrupted; Spring's graceful shutdown goes on");
            Thread.currentThread().interrupt();
        } finally {
            running = false;
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /**
     * Only the context's close drains, not a {@code stop()} that a {@code start()} may follow (a checkpoint and
     * restore): a drained server does not accept again.
     */
    @Override
    public boolean isPauseable() {
        return false;
    }

    /** Stopped before the graceful shutdown (a higher phase stops earlier). */
    @Override
    public int getPhase() {
        return WebServerApplicationContext.GRACEFUL_SHUTDOWN_PHASE + 1;
    }
}
