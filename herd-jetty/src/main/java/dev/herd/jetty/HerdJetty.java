package dev.herd.jetty;

import java.time.Duration;
import java.util.Arrays;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a configured Jetty server a Herd worker; what the Jetty module {@code herd} ({@code etc/herd.xml}) calls
 * after the {@code http} module made its connector:
 *
 * <ul>
 *   <li>the HTTP connector is replaced by a {@link HerdConnector} with the same settings and connection factories
 *   (so HTTP/2 cleartext, PROXY protocol and forwarded-header support configured on it stay; it accepts in its
 *   selector, so {@code jetty.http.acceptors} does not apply): it serves on the socket Herd hands over when there
 *   is one, and binds its host and port otherwise;</li>
 *   <li>a {@link DrainHandler} becomes the server's outermost handler;</li>
 *   <li>the JVM's shutdown (SIGTERM from Herd, or Ctrl-C) runs the {@link HerdDrain} instead of Jetty's plain stop.</li>
 * </ul>
 */
public final class HerdJetty {
    private static final Logger LOG = LoggerFactory.getLogger(HerdJetty.class);

    private HerdJetty() {
    }

    /**
     * @param server           the server, configured but not started
     * @param http             the connector to replace (the {@code http} module's {@code httpConnector})
     * @param drainIdleMillis  how long a drain waits for clients to leave before Jetty's graceful stop (at least 0)
     * @param stopTimeoutMillis the longest Jetty's graceful stop waits for requests in flight (at least 1); keep it
     *                          below Herd's {@code --drain-timeout} (30 s by default), after which Herd kills
     * @return the drain, run by the JVM's shutdown
     */
    public static HerdDrain install(Server server, ServerConnector http, long drainIdleMillis, long stopTimeoutMillis) {
        if (drainIdleMillis < 0) {
            throw new IllegalArgumentException("herd.drainIdleTimeout must be at least 0 ms, not " + drainIdleMillis);
        }
        if (stopTimeoutMillis < 1) {
            throw new IllegalArgumentException("herd.stopTimeout must be at least 1 ms, not " + stopTimeoutMillis);
        }
        HerdConnector connector = replace(server, http);
        if (server.getDescendant(GracefulHandler.class) != null) {
            LOG.warn("herd: Jetty's graceful module is enabled too; its handler answers 503 to requests that arrive"
                    + " during a drain: disable it, the herd module drains on its own");
        }
        DrainHandler handler = new DrainHandler();
        server.insertHandler(handler);
        server.setStopTimeout(stopTimeoutMillis);
        HerdDrain drain = new HerdDrain(server, connector, handler, Duration.ofMillis(drainIdleMillis));
        server.setStopAtShutdown(false); // the drain below stops it, after the clients left
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (server.isStarted()) {
                drain.run();
            } else {
                stopQuietly(server);
            }
        }, "herd-drain"));
        if (connector.inherits()) {
            LOG.info("herd: serving on the listening socket Herd handed over (fd 0)");
        } else {
            LOG.info("herd: no socket handed over (not started by Herd): binding {}:{} as configured",
                    connector.getHost() == null ? "0.0.0.0" : connector.getHost(), connector.getPort());
        }
        return drain;
    }

    /** A {@link HerdConnector} with {@code original}'s settings and factories, in its place among the connectors. */
    public static HerdConnector replace(Server server, ServerConnector original) {
        int selectors = original.getSelectorManager().getSelectorCount();
        HerdConnector connector = new HerdConnector(server, selectors,
                original.getConnectionFactories().toArray(new ConnectionFactory[0]));
        connector.setName(original.getName());
        connector.setHost(original.getHost());
        connector.setPort(original.getPort());
        connector.setIdleTimeout(original.getIdleTimeout());
        connector.setShutdownIdleTimeout(original.getShutdownIdleTimeout());
        connector.setAcceptQueueSize(original.getAcceptQueueSize());
        connector.setReuseAddress(original.getReuseAddress());
        connector.setReusePort(original.isReusePort());
        connector.setAcceptedTcpNoDelay(original.getAcceptedTcpNoDelay());
        connector.setAcceptedReceiveBufferSize(original.getAcceptedReceiveBufferSize());
        connector.setAcceptedSendBufferSize(original.getAcceptedSendBufferSize());
        Connector[] connectors = server.getConnectors();
        int index = Arrays.asList(connectors).indexOf(original);
        if (index < 0) {
            throw new IllegalStateException("the connector to replace (" + original + ") is not one of the server's");
        }
        connectors[index] = connector;
        server.setConnectors(connectors);
        return connector;
    }

    private static void stopQuietly(Server server) {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("herd: stopping the server failed: {}", e.toString());
        }
    }
}
