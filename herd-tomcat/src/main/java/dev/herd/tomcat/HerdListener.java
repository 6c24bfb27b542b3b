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
import org.apache.juli.logging.Log;
import org.apache.juli.logging.LogFactory;

/**
 * Makes a Tomcat server a Herd worker; named in server.xml as a {@code <Listener>} of the {@code <Server>}:
 *
 * <ul>
 *   <li>when the server starts, each engine gets a {@link DrainValve} first in its pipeline, and each connector on
 *   {@link HerdHttp11NioProtocol} says whether it serves on the socket Herd handed over;</li>
 *   <li>when the server is asked to stop (SIGTERM from Herd, through Tomcat's shutdown hook), before Tomcat pauses
 *   its connectors, it runs the {@link TomcatDrain} (at most {@code drainIdleTimeout} ms). Then Tomcat's stop goes
 *   on as usual.</li>
 * </ul>
 */
public class HerdListener implements LifecycleListener {
    private static final Log LOG = LogFactory.getLog(HerdListener.class);

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
        List<HerdNioEndpoint> endpoints = TomcatDrain.endpoints(server);
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
        TomcatDrain.Result result = new TomcatDrain(server, valves, drainIdleTimeout).run();
        if (result != null) {
            LOG.info("herd: " + result);
        }
    }
}
