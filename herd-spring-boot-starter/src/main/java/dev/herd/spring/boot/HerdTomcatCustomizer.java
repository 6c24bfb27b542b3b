package dev.herd.spring.boot;

import dev.herd.tomcat.DrainValve;
import dev.herd.tomcat.HerdHttp11NioProtocol;
import dev.herd.tomcat.HerdNioEndpoint;
import dev.herd.tomcat.TomcatDrain;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.catalina.Service;
import org.apache.catalina.connector.Connector;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;

/**
 * Makes Boot's embedded Tomcat a Herd worker: its connectors run {@link HerdHttp11NioProtocol} (they serve on the
 * socket Herd hands over, or bind {@code server.port} as usual when there is none) and its engine gets a
 * {@link DrainValve}; {@link #drain()} is the {@link TomcatDrain}. Runs after Boot's own customizers, so every other
 * {@code server.*} and {@code server.tomcat.*} setting applies as usual.
 */
final class HerdTomcatCustomizer implements WebServerFactoryCustomizer<TomcatServletWebServerFactory>, Ordered {
    private static final Log LOG = LogFactory.getLog(HerdTomcatCustomizer.class);

    private final HerdProperties properties;
    private final DrainValve valve = new DrainValve();
    private final List<Connector> connectors = new CopyOnWriteArrayList<>();

    HerdTomcatCustomizer(HerdProperties properties) {
        this.properties = properties;
    }

    @Override
    public void customize(TomcatServletWebServerFactory factory) {
        factory.setProtocol(HerdHttp11NioProtocol.class.getName());
        factory.addEngineValves(valve);
        factory.addConnectorCustomizers(connectors::add);
        if (HerdNioEndpoint.inheritedChannel() != null) {
            LOG.info("herd: serving on the listening socket Herd handed over (fd 0)");
        } else {
            LOG.info("herd: no socket handed over: binding server.port as configured");
        }
    }

    /** Runs the drain (nothing when the server never started). */
    void drain() {
        for (Connector connector : connectors) {
            Service service = connector.getService();
            if (service != null && service.getServer() != null) {
                LOG.info("herd: draining");
                TomcatDrain.Result result = new TomcatDrain(service.getServer(), List.of(valve),
                        properties.drainIdleTimeout().toMillis()).run();
                if (result != null) {
                    LOG.info("herd: " + result);
                }
                return;
            }
        }
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
