package dev.herd.jetty;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.server.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The drain of a Herd worker's Jetty server: stop accepting, tell every client to go elsewhere, wait for them, then
 * Jetty's own graceful stop. In order:
 *
 * <ol>
 *   <li>the connector stops accepting (the socket stays open in Herd's master and the other workers, which take the
 *   new connections; {@link HerdConnector} says how);</li>
 *   <li>from then on every response says {@code Connection: close} ({@link DrainHandler});</li>
 *   <li>it waits until every connection the acceptors took has become an endpoint of the connector, and until no
 *   response that went out keep-alive is still being written;</li>
 *   <li>it waits, at most the drain idle timeout, for the clients to leave: each busy connection closes after its
 *   next response; idle keep-alive connections get that long to send a request already on its way;</li>
 *   <li>{@link Server#stop()} with the server's stop timeout: Jetty waits for the requests still in flight, closes
 *   what is left once idle for its shutdown idle timeout, and stops.</li>
 * </ol>
 */
public final class HerdDrain {
    private static final Logger LOG = LoggerFactory.getLogger(HerdDrain.class);
    /** Far above what a selector needs to confirm, or a small response to be written; only a stuck client takes longer. */
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(5);

    /** How a drain ended. @param completed false when a timeout cut requests or connections off */
    public record Result(boolean completed, long millis, String problem) {
    }

    private final Server server;
    private final HerdConnector connector;
    private final DrainHandler handler;
    private final Duration drainIdleTimeout;

    public HerdDrain(Server server, HerdConnector connector, DrainHandler handler, Duration drainIdleTimeout) {
        if (drainIdleTimeout.isNegative()) {
            throw new IllegalArgumentException("drainIdleTimeout must not be negative: " + drainIdleTimeout);
        }
        this.server = server;
        this.connector = connector;
        this.handler = handler;
        this.drainIdleTimeout = drainIdleTimeout;
    }

    /** Runs the whole drain on the calling thread and returns when the server has stopped. */
    public Result run() {
        long start = System.nanoTime();
        String problem = null;
        try {
            drainClients();
            server.stop(); // graceful: waits up to the stop timeout for requests in flight
        } catch (TimeoutException e) {
            problem = "stop timeout of " + server.getStopTimeout() + " ms reached";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problem = "interrupted";
        } catch (Exception e) {
            problem = e.toString();
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        if (problem == null) {
            LOG.info("herd: drained in {} ms", millis);
        } else {
            LOG.warn("herd: drain ended after {} ms with requests or connections cut off ({})", millis, problem);
        }
        return new Result(problem == null, millis, problem);
    }

    /**
     * Steps 1 to 4 without the server's stop: for a server whose owner stops it after the drain (Spring Boot, whose
     * graceful shutdown and stop follow; Herd's starter runs this before them). Returns when the clients left or the
     * drain idle timeout passed.
     */
    public void drainClients() throws InterruptedException {
        if (!connector.stopAccepting()) {
            LOG.warn("herd: a selector did not confirm it stopped accepting within {} ms; draining anyway",
                    STEP_TIMEOUT.toMillis());
        }
        handler.startDraining();
        LOG.info("herd: draining: connections={} requests in flight={} stop timeout={} ms",
                connector.getConnectedEndPoints().size(), handler.getCurrentRequestCount(), server.getStopTimeout());
        if (!connector.awaitAcceptedOpened(STEP_TIMEOUT)) {
            LOG.warn("herd: a connection accepted before the drain was not registered within {} ms;"
                    + " stopping anyway", STEP_TIMEOUT.toMillis());
        }
        awaitKeepAliveResponses();
        awaitClientsGone();
    }

    /** The connections still open. */
    public int connections() {
        return connector.getConnectedEndPoints().size();
    }

    /** Every response from now on says Connection: close, so the count only falls. */
    private void awaitKeepAliveResponses() throws InterruptedException {
        long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
        while (handler.keepAliveResponsesInFlight() > 0) {
            if (System.nanoTime() - deadline > 0) {
                LOG.warn("herd: {} keep-alive responses still being written after {} ms; stopping anyway",
                        handler.keepAliveResponsesInFlight(), STEP_TIMEOUT.toMillis());
                return;
            }
            Thread.sleep(1);
        }
    }

    /**
     * Shutting the connector down while clients are busy on keep-alive connections is what loses requests (a close
     * right behind a keep-alive response), so the clients get the drain idle timeout to leave first.
     */
    private void awaitClientsGone() throws InterruptedException {
        long deadline = System.nanoTime() + drainIdleTimeout.toNanos();
        while (!connector.getConnectedEndPoints().isEmpty() && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
    }
}
