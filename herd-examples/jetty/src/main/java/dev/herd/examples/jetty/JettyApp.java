package dev.herd.examples.jetty;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A Jetty 12 server on a listening channel it is given: the inherited one under Herd, any bound
 * channel in tests.
 *
 * <p>One acceptor thread, blocked in {@code accept()} on the channel: that is what Herd's readiness
 * check sees in /proc, and blocking accept on a shared socket spreads connections between workers.
 *
 * <p>{@link #drain()} first closes the listening channel (only this process's copy; the master and the
 * other workers keep the socket) and lets the acceptor thread end (see {@link DrainingServerConnector}
 * for why not by interrupt); from then on every response carries {@code Connection: close}. It waits
 * until every connection the acceptor took has become an endpoint of the connector (see
 * {@link DrainingServerConnector#awaitAcceptedOpened}), then until no response that went out as keep-alive is still being written (Jetty would close such a
 * connection after it without a {@code Connection: close}, losing the client's next request), then until
 * the clients have left (each busy connection closes after its next response; idle ones are waited for up
 * to {@link JettyConfig#drainIdleTimeout()}). Then it runs Jetty's own graceful stop ({@link Server#stop()} with a stop timeout), which in Jetty 12.1:
 * <ol>
 *   <li>shuts the connector down: every open connection's idle timeout drops to
 *       {@link JettyConfig#drainIdleTimeout()};</li>
 *   <li>from then on every HTTP/1.1 response is sent non-persistent ({@code Connection: close}) and
 *       its connection closed after it;</li>
 *   <li>waits until the {@link DrainingGracefulHandler} has no request in flight and the connector
 *       has no connection left (busy ones close after their response, idle ones after the drain idle
 *       timeout), at most {@link JettyConfig#stopTimeout()};</li>
 *   <li>stops the connector (closing whatever is left) and the rest of the server.</li>
 * </ol>
 * Jetty's {@code GracefulHandler} would answer requests arriving during the drain with 503; ours
 * serves them (see {@link DrainingGracefulHandler}).
 */
public final class JettyApp implements AutoCloseable {

    /** How a drain ended. @param completed false when the stop timeout cut requests or connections off */
    public record DrainResult(boolean completed, long millis, String problem) {
    }

    private static final Duration ACCEPTOR_EXIT_TIMEOUT = Duration.ofSeconds(5);
    /** Far above the time to write one small response; only a stuck client could hold a write this long. */
    private static final Duration PERSISTENT_WRITES_TIMEOUT = Duration.ofSeconds(5);

    private final ServerSocketChannel channel;
    private final Identity identity;
    private final JettyConfig config;
    private final Server server;
    private final DrainingServerConnector connector;
    private final DrainingGracefulHandler graceful;
    private final AppHandler app;
    static final String SHED_LOAD_PROPERTY = "herd.jetty.shedLoad";
    private final AtomicBoolean drainRequested = new AtomicBoolean();
    /** Set once this server no longer accepts: from then on every response says Connection: close. */
    private volatile boolean draining;
    private final CompletableFuture<DrainResult> stopped = new CompletableFuture<>();

    private JettyApp(ServerSocketChannel channel, Identity identity, JettyConfig config) {
        this.channel = channel;
        this.identity = identity;
        this.config = config;

        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("herd-jetty");
        server = new Server(threads);

        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        // exactly one acceptor: a thread blocked in accept() (Herd's readiness signal); default selectors
        connector = new DrainingServerConnector(server, 1, new HttpConnectionFactory(http));
        connector.setIdleTimeout(config.idleTimeout().toMillis());
        connector.setShutdownIdleTimeout(config.drainIdleTimeout().toMillis());
        server.addConnector(connector);

        // load shedding is opted into (-Dherd.jetty.shedLoad=true): a test machine whose cores wrk keeps busy would
        // otherwise see 503s where it measures that nothing is lost
        app = new AppHandler(identity, () -> draining, Boolean.getBoolean(SHED_LOAD_PROPERTY)
                ? dev.herd.worker.Worker.current()::overloaded : () -> false);
        graceful = new DrainingGracefulHandler(app);
        server.setHandler(graceful);
        server.setStopTimeout(config.stopTimeout().toMillis());
        // a JVM shutdown that is not our SIGTERM drain (SIGINT, System.exit elsewhere) still stops gracefully
        server.setStopAtShutdown(true);
    }

    /** Starts the server on {@code channel} (a bound, listening channel) and logs the "listening" line. */
    public static JettyApp start(ServerSocketChannel channel, Identity identity, JettyConfig config) throws Exception {
        JettyApp app = new JettyApp(channel, identity, config);
        app.start();
        return app;
    }

    public static JettyApp start(ServerSocketChannel channel, Identity identity) throws Exception {
        return start(channel, identity, JettyConfig.defaults());
    }

    private void start() throws Exception {
        SocketAddress address = channel.getLocalAddress();
        connector.open(channel); // Jetty switches it to blocking mode for its acceptor
        try {
            server.start();
        } catch (Exception e) {
            server.stop();
            throw e;
        }
        Log.info(identity.logPrefix() + " listening on " + format(address));
    }

    /**
     * Begins the graceful drain and returns at once; idempotent. {@link #awaitStopped} tells when it is
     * over. See the class comment for what happens.
     */
    public void drain() {
        if (!drainRequested.compareAndSet(false, true)) {
            return;
        }
        long start = System.nanoTime();
        // first stop accepting, so that clients told to reconnect reach the other workers only
        try {
            connector.stopAccepting();
        } catch (IOException e) {
            Log.error(identity.logPrefix() + " closing the listening socket failed: " + e);
        }
        draining = true;
        Log.info(identity.logPrefix() + " draining: connections=" + openConnections()
                + " in-flight=" + inFlight() + " stopTimeoutMs=" + config.stopTimeout().toMillis());
        Thread.ofPlatform().name("herd-jetty-drain").daemon(true).start(() -> {
            String problem = null;
            try {
                if (!connector.awaitAcceptorsDone(ACCEPTOR_EXIT_TIMEOUT)) {
                    Log.error(identity.logPrefix() + " acceptor thread still running after "
                            + ACCEPTOR_EXIT_TIMEOUT.toMillis() + " ms; stopping anyway");
                }
                if (!connector.awaitAcceptedOpened(ACCEPTOR_EXIT_TIMEOUT)) {
                    Log.error(identity.logPrefix() + " a connection accepted as the listening socket closed was not"
                            + " registered within " + ACCEPTOR_EXIT_TIMEOUT.toMillis() + " ms; stopping anyway");
                }
                awaitPersistentWrites();
                awaitConnectionsClosed();
                server.stop(); // graceful: waits up to the stop timeout, see the class comment
            } catch (TimeoutException e) {
                problem = "stop timeout of " + config.stopTimeout().toMillis() + " ms reached";
            } catch (Throwable e) {
                problem = String.valueOf(e);
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            if (problem == null) {
                Log.info(identity.logPrefix() + " drained in " + millis + " ms: requests=" + app.requestsServed());
            } else {
                Log.error(identity.logPrefix() + " drain ended after " + millis + " ms with connections or"
                        + " requests cut off (" + problem + "): requests=" + app.requestsServed());
            }
            stopped.complete(new DrainResult(problem == null, millis, problem));
        });
    }

    /**
     * Waits (bounded) until no keep-alive response is being written: one that is when the connector shuts down
     * would be followed by a close its client was not told about (see {@link AppHandler#persistentWritesInFlight}).
     * Every response from now on says Connection: close, so the count only falls.
     */
    private void awaitPersistentWrites() throws InterruptedException {
        long deadline = System.nanoTime() + PERSISTENT_WRITES_TIMEOUT.toNanos();
        while (app.persistentWritesInFlight() > 0) {
            if (System.nanoTime() > deadline) {
                Log.error(identity.logPrefix() + " " + app.persistentWritesInFlight()
                        + " keep-alive responses still being written after " + PERSISTENT_WRITES_TIMEOUT.toMillis()
                        + " ms; stopping anyway");
                return;
            }
            Thread.sleep(1);
        }
    }

    /**
     * Waits (at most the drain idle timeout) for the clients to leave: each connection's next response says
     * Connection: close and Jetty closes it after that response. Only what is still open then (idle clients) is
     * left to Jetty's graceful stop. Shutting the connector down while clients are busy on keep-alive
     * connections is what loses requests (a close right behind a keep-alive response).
     */
    private void awaitConnectionsClosed() throws InterruptedException {
        long deadline = System.nanoTime() + config.drainIdleTimeout().toNanos();
        while (openConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    /** @return the drain's result, or null if the server did not stop within {@code timeout} */
    public DrainResult awaitStopped(Duration timeout) throws InterruptedException {
        try {
            return stopped.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Hard stop: no grace, closes every connection now. Also closes the channel. */
    @Override
    public void close() {
        drainRequested.set(true);
        draining = true;
        server.setStopTimeout(0);
        try {
            server.stop();
        } catch (Exception e) {
            Log.error(identity.logPrefix() + " stopping failed: " + e);
        }
        try {
            channel.close();
        } catch (IOException e) {
            // closing anyway
        }
        stopped.complete(new DrainResult(false, 0, "closed"));
    }

    public Identity identity() {
        return identity;
    }

    /** True once {@link #drain()} was called (the listening channel is then closed). */
    public boolean draining() {
        return drainRequested.get();
    }

    public long inFlight() {
        return graceful.getCurrentRequestCount();
    }

    public int openConnections() {
        return connector.getConnectedEndPoints().size();
    }

    public long requestsServed() {
        return app.requestsServed();
    }

    Server server() {
        return server;
    }

    private static String format(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            String host = inet.getHostString();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }
}
