package dev.herd.tomcat;

import java.util.ArrayList;
import java.util.List;
import org.apache.catalina.Container;
import org.apache.catalina.Engine;
import org.apache.catalina.Lifecycle;
import org.apache.catalina.LifecycleEvent;
import org.apache.catalina.LifecycleListener;
import org.apache.catalina.Server;
import org.apache.catalina.Service;
import org.apache.catalina.connector.Connector;
import org.apache.juli.logging.Log;
import org.apache.juli.logging.LogFactory;

/**
 * Makes a Tomcat server a Herd worker; named in server.xml as a {@code <Listener>} of the {@code <Server>}:
 *
 * <ul>
 *   <li>when the server starts, each engine gets a {@link DrainValve} first in its pipeline, and each connector on
 *   {@link HerdHttp11NioProtocol} says whether it serves on the socket Herd handed over;</li>
 *   <li>when the server is asked to stop (SIGTERM from Herd, through Tomcat's shutdown hook), before Tomcat pauses
 *   its connectors (which would answer 503 to requests on open keep-alive connections), it drains: those connectors
 *   stop accepting (the socket stays open in Herd's master and the other workers), every response says
 *   {@code Connection: close}, and it waits, at most {@code drainIdleTimeout} ms, for the clients to leave (each
 *   busy connection closes after its next response; an idle keep-alive connection gets that long to send a request
 *   already on its way). Then Tomcat's stop goes on as usual.</li>
 * </ul>
 */
public class HerdListener implements LifecycleListener {
    private static final Log LOG = LogFactory.getLog(HerdListener.class);
    private static final long STEP_TIMEOUT_MILLIS = 5000;

    private long drainIdleTimeout = 3000;
    private final List<DrainValve> valves = new ArrayList<>();

    /** How long the drain waits for clients to leave, in milliseconds (server.xml: {@code drainIdleTimeout}). */
    public void setDrainIdleTimeout(long millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("HerdListener drainIdleTimeout must be at least 0 ms, not " + millis);
        }
        drainIdleTimeout = millis;
    }

    public long getDrainIdleTimeout() {
        return drainIdleTimeout;
    }

    @Override
    public void lifecycleEvent(LifecycleEvent event) {
        if (!(event.getLifecycle() instanceof Server server)) {
            return;
        }
        switch (event.getType()) {
            case Lifecycle.BEFORE_START_EVENT -> install(server);
            case Lifecycle.AFTER_START_EVENT -> report(server);
            case Lifecycle.BEFORE_STOP_EVENT -> drain(server);
            default -> {
            }
        }
    }

    private void install(Server server) {
        for (Service service : server.findServices()) {
            Container engine = service.getContainer();
            if (engine instanceof Engine && valves.stream().noneMatch(v -> v.getContainer() == engine)) {
                DrainValve valve = new DrainValve();
                engine.getPipeline().addValve(valve);
                valves.add(valve);
            }
        }
    }

    private static void report(Server server) {
        List<HerdNioEndpoint> endpoints = endpoints(server);
        if (endpoints.isEmpty()) {
            LOG.warn("herd: no connector uses protocol=\"dev.herd.tomcat.HerdHttp11NioProtocol\"; nothing will take"
                    + " the socket Herd hands over, and a reload will drop connections");
        }
        for (HerdNioEndpoint endpoint : endpoints) {
            if (endpoint.inherits()) {
                LOG.info("herd: serving on the listening socket Herd handed over (fd 0)");
            } else {
                LOG.info("herd: no socket handed over (not started by Herd): bound port " + endpoint.getPort()
                        + " as configured");
            }
        }
    }

    private void drain(Server server) {
        List<HerdNioEndpoint> endpoints = endpoints(server);
        if (endpoints.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        try {
            for (HerdNioEndpoint endpoint : endpoints) {
                if (!endpoint.stopAccepting(STEP_TIMEOUT_MILLIS)) {
                    LOG.warn("herd: the acceptor did not confirm it stopped within " + STEP_TIMEOUT_MILLIS
                            + " ms; draining anyway");
                }
            }
            valves.forEach(DrainValve::startDraining);
            LOG.info("herd: draining: connections=" + connections(endpoints));
            long deadline = System.nanoTime() + drainIdleTimeout * 1_000_000L;
            while (connections(endpoints) > 0 && System.nanoTime() - deadline < 0) {
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("herd: drained in " + (System.nanoTime() - start) / 1_000_000 + " ms (connections left for"
                + " Tomcat's stop: " + connections(endpoints) + ")");
    }

    private static int connections(List<HerdNioEndpoint> endpoints) {
        int open = 0;
        for (HerdNioEndpoint endpoint : endpoints) {
            open += endpoint.getConnections().size();
        }
        return open;
    }

    private static List<HerdNioEndpoint> endpoints(Server server) {
        List<HerdNioEndpoint> endpoints = new ArrayList<>();
        for (Service service : server.findServices()) {
            for (Connector connector : service.findConnectors()) {
                if (connector.getProtocolHandler() instanceof HerdHttp11NioProtocol protocol) {
                    endpoints.add(protocol.herdEndpoint());
                }
            }
        }
        return endpoints;
    }
}
