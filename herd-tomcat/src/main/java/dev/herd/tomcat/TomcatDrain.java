package dev.herd.tomcat;

import java.util.ArrayList;
import java.util.List;
import org.apache.catalina.Server;
import org.apache.catalina.Service;
import org.apache.catalina.connector.Connector;

/**
 * The drain of a Herd worker's Tomcat, run before Tomcat pauses its connectors (a paused connector answers 503 to
 * requests on open keep-alive connections): the connectors on {@link HerdHttp11NioProtocol} stop accepting (the
 * socket stays open in Herd's master and the other workers, which take the new connections), every response says
 * {@code Connection: close} ({@link DrainValve}), and it waits, at most the drain idle timeout, for the clients to
 * leave: each busy connection closes after its next response; an idle keep-alive connection gets that long to send
 * a request already on its way. Tomcat's own stop (graceful or not) goes on after it.
 *
 * <p>{@link HerdListener} runs it for the Tomcat distribution; Herd's Spring Boot starter for an embedded Tomcat.
 */
public final class TomcatDrain {
    static final long STEP_TIMEOUT_MILLIS = 5000;

    private final List<HerdNioEndpoint> endpoints;
    private final List<DrainValve> valves;
    private final long drainIdleTimeoutMillis;

    /**
     * @param server                 whose connectors on {@link HerdHttp11NioProtocol} drain
     * @param valves                 the {@link DrainValve}s of its engines
     * @param drainIdleTimeoutMillis how long it waits for clients to leave (at least 0)
     */
    public TomcatDrain(Server server, List<DrainValve> valves, long drainIdleTimeoutMillis) {
        if (drainIdleTimeoutMillis < 0) {
            throw new IllegalArgumentException("the drain idle timeout must be at least 0 ms, not "
                    + drainIdleTimeoutMillis);
        }
        this.endpoints = endpoints(server);
        this.valves = List.copyOf(valves);
        this.drainIdleTimeoutMillis = drainIdleTimeoutMillis;
    }

    /** The endpoints of {@code server}'s connectors on {@link HerdHttp11NioProtocol}. */
    public static List<HerdNioEndpoint> endpoints(Server server) {
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

    /**
     * How a drain went, for the caller to log (the caller knows which logging still works while the JVM shuts down:
     * under Spring Boot, java.util.logging, which Tomcat's own logging writes to, is reset by the JDK's shutdown hook
     * at the same time and loses what it is given).
     *
     * @param acceptorsConfirmed false when an acceptor did not confirm within 5 s that it stopped (it is stuck)
     * @param connectionsAtStart connections open when the drain began
     * @param connectionsLeft    connections still open when it ended, for Tomcat's stop
     */
    public record Result(long millis, boolean acceptorsConfirmed, int connectionsAtStart, int connectionsLeft) {
        @Override
        public String toString() {
            return "drained in " + millis + " ms (connections: " + connectionsAtStart + " when it began, "
                    + connectionsLeft + " left for Tomcat's stop" + (acceptorsConfirmed ? "" : "; an acceptor did"
                    + " not confirm within " + STEP_TIMEOUT_MILLIS + " ms that it stopped") + ")";
        }
    }

    /**
     * Runs the drain on the calling thread; returns when the clients left or the drain idle timeout passed, or at
     * once (null) when no connector is on {@link HerdHttp11NioProtocol}.
     */
    public Result run() {
        if (endpoints.isEmpty()) {
            return null;
        }
        long start = System.nanoTime();
        boolean confirmed = true;
        int atStart = -1;
        try {
            try {
                for (HerdNioEndpoint endpoint : endpoints) {
                    confirmed &= endpoint.stopAccepting(STEP_TIMEOUT_MILLIS);
                }
            } finally {
                valves.forEach(DrainValve::startDraining); // interrupted or not: Tomcat's 503s are what it avoids
            }
            atStart = connections();
            long deadline = System.nanoTime() + drainIdleTimeoutMillis * 1_000_000L;
            while (connections() > 0 && System.nanoTime() - deadline < 0) {
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new Result((System.nanoTime() - start) / 1_000_000, confirmed, Math.max(atStart, connections()),
                connections());
    }

    private int connections() {
        int open = 0;
        for (HerdNioEndpoint endpoint : endpoints) {
            open += endpoint.getConnections().size();
        }
        return open;
    }
}
