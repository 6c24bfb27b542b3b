package dev.herd.spring.boot;

import dev.herd.jetty.DrainHandler;
import dev.herd.jetty.HerdConnector;
import dev.herd.jetty.HerdDrain;
import dev.herd.jetty.HerdJetty;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.springframework.boot.jetty.servlet.JettyServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;

/**
 * Makes Boot's embedded Jetty a Herd worker: its connector becomes a {@link HerdConnector} with the same settings
 * and connection factories (it serves on the socket Herd hands over, or binds {@code server.port} as usual when
 * there is none) and a {@link DrainHandler} wraps the application's handlers (Boot's own statistics handler for its
 * graceful shutdown goes around it); {@link #drain()} is the first part of the
 * {@link HerdDrain} (Spring's graceful shutdown and Jetty's stop do the rest).
 */
final class HerdJettyCustomizer implements WebServerFactoryCustomizer<JettyServletWebServerFactory>, Ordered {
    private static final Log LOG = LogFactory.getLog(HerdJettyCustomizer.class);

    private final HerdProperties properties;
    private volatile HerdDrain herdDrain;

    HerdJettyCustomizer(HerdProperties properties) {
        this.properties = properties;
    }

    @Override
    public void customize(JettyServletWebServerFactory factory) {
        factory.addServerCustomizers(this::install);
    }

    private void install(Server server) {
        ServerConnector http = null;
        for (Connector connector : server.getConnectors()) {
            if (connector instanceof ServerConnector serverConnector) {
                http = serverConnector;
                break;
            }
        }
        if (http == null) {
            LOG.warn("herd: the embedded Jetty has no ServerConnector to take the socket Herd hands over");
            return;
        }
        HerdConnector connector = HerdJetty.replace(server, http);
        DrainHandler handler = new DrainHandler();
        server.insertHandler(handler);
        herdDrain = new HerdDrain(server, connector, handler, properties.drainIdleTimeout());
        if (connector.inherits()) {
            LOG.info("herd: serving on the listening socket Herd handed over (fd 0)");
        } else {
            LOG.info("herd: no socket handed over: binding server.port as configured");
        }
    }

    /** Runs the drain (nothing when the server never started). */
    void drain() throws InterruptedException {
        HerdDrain current = herdDrain;
        if (current != null) {
            long start = System.nanoTime();
            current.drainClients();
            LOG.info("herd: drained in " + (System.nanoTime() - start) / 1_000_000 + " ms (connections left for"
                    + " Spring's graceful shutdown: " + current.connections() + ")");
        }
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
