package dev.herd.control;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.herd.StartupException;
import dev.herd.command.ClusterStatus;
import dev.herd.logs.WorkerLogs;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The HTTP control API (docs/api.md) on the JDK's HTTP server, a virtual thread per exchange: one context per
 * path, each request through the same filters ({@link RequestStats}, the access key of
 * {@link BearerAuthenticator}, an unused body read away, unknown paths 404, {@link AllowedMethods}), then its
 * handler: {@link CommandEndpoint} ({@code /api/NAME}, {@code /cli}), {@link EcvEndpoint}, {@link EventStream},
 * {@link LogStream}, {@link MetricsPage}. Everything but {@code GET /ecv} needs the key, unknown paths too.
 */
public final class HttpApi implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;
    private final InFlight inFlight;

    /**
     * What the read-only streams and pages show: events, metrics and the snapshot they are taken from, the logs, and
     * the resource samples ({@code /events?samples=true}; may be null where there are none).
     */
    record Observability(EventHub events, Metrics metrics, Supplier<ClusterStatus> status, WorkerLogs logs,
                         Samples samples) {
    }

    /**
     * A group of paths: its name in {@code herd_api_requests_total}, the JDK context it is registered at, and which
     * raw paths under that context it serves (the others are 404 and counted as {@code other}).
     */
    record Route(String name, String context, Predicate<String> serves) {
        static Route exactly(String name, String path) {
            return new Route(name, path, path::equals);
        }

        /** 404 for a path under the context that this route does not serve. */
        Filter knownPaths() {
            return new Filter() {
                @Override
                public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
                    if (serves.test(Exchanges.path(exchange))) {
                        chain.doFilter(exchange);
                    } else {
                        Exchanges.error(exchange, 404, "no such endpoint " + Exchanges.clip(Exchanges.path(exchange))
                                + "; see docs/api.md: /api/COMMAND, /cli, /ecv, /events, /metrics");
                    }
                }

                @Override
                public String description() {
                    return "herd: paths of " + name;
                }
            };
        }
    }

    private HttpApi(HttpServer server, ExecutorService executor, InFlight inFlight) {
        this.server = server;
        this.executor = executor;
        this.inFlight = inFlight;
    }

    static HttpApi start(InetSocketAddress address, CommandTable commands, AccessKey key, boolean allowGet, Ecv ecv,
                         ApiStats stats, Observability observe, ControlLimits limits) {
        // the JDK's server enforces the request timeout, idle timeout and connection cap itself (SSE streams are
        // past the request, so no timeout cuts them, and they count against the cap)
        limits.applyToJdkHttpServer();
        HttpServer server;
        try {
            server = HttpServer.create(address, 128);
        } catch (BindException e) {
            throw new StartupException(StartupException.SETUP, "cannot listen for the HTTP API on "
                    + address.getAddress().getHostAddress() + ":" + address.getPort() + ": " + e.getMessage()
                    + "; another master may use it: choose another --api-port (0 picks a free one) or --no-api", e);
        } catch (IOException e) {
            throw new StartupException(StartupException.SETUP, "cannot open the HTTP API on " + address + ": " + e.getMessage(), e);
        }
        // a virtual thread per exchange: a reload answered when done, or a stream, holds no platform thread; the
        // connection cap (jdk.httpserver.maxConnections) bounds how many there are
        ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("herd-api-", 0).factory());
        server.setExecutor(executor);
        InFlight inFlight = new InFlight();
        CommandEndpoint commandEndpoint = new CommandEndpoint(commands, allowGet);
        EcvEndpoint ecvEndpoint = new EcvEndpoint(ecv);
        Context context = new Context(server, key, stats, inFlight);
        context.add(new Route("api", "/api/", path -> path.startsWith("/api/") && path.length() > "/api/".length()),
                "POST", null, commandEndpoint.api());
        context.add(Route.exactly("cli", "/cli"), null, commandEndpoint.cliMethods(), commandEndpoint.cli());
        context.add(Route.exactly("ecv", "/ecv"), null, null, ecvEndpoint.check());
        context.add(new Route("ecv", "/ecv/", path -> path.startsWith("/ecv/")), null, null, ecvEndpoint.change());
        context.add(Route.exactly("events", "/events"), null, AllowedMethods.get(), new EventStream(observe.events(), observe.samples()));
        context.add(Route.exactly("metrics", "/metrics"), null, AllowedMethods.get(),
                new MetricsPage(observe.metrics(), observe.status()));
        context.add(Route.exactly("logs", "/logs"), null, AllowedMethods.get(), new LogStream(observe.logs()));
        // the dashboard's files: open (they hold nothing); what they show comes from the routes above, with the key
        context.addOpen(new Route("ui", "/ui", path -> path.equals("/ui") || path.startsWith("/ui/")),
                new DashboardAssets());
        context.add(new Route("other", "/", path -> false), null, null, exchange -> {
        });
        server.start();
        return new HttpApi(server, executor, inFlight);
    }

    /** Registers routes with the filters every request goes through. */
    private record Context(HttpServer server, AccessKey key, ApiStats stats, InFlight inFlight) {
        /**
         * @param keepBodyFor the method whose handler reads the body itself (else it is read away first), or null
         * @param methods     the route's methods, or null when its handler checks them
         */
        void add(Route route, String keepBodyFor, AllowedMethods methods, HttpHandler handler) {
            add(route, keepBodyFor, methods, handler, true);
        }

        /** A route anyone who reaches the port may read (its handler checks the method). */
        void addOpen(Route route, HttpHandler handler) {
            add(route, null, null, handler, false);
        }

        private void add(Route route, String keepBodyFor, AllowedMethods methods, HttpHandler handler, boolean keyed) {
            HttpContext context = server.createContext(route.context(), handler);
            List<Filter> filters = new ArrayList<>();
            filters.add(new RequestStats(route, stats, inFlight));
            if (keyed) {
                filters.add(new BearerAuthenticator(key, route.name().equals("cli"),
                        route.context().equals("/ecv") ? "/ecv" : null).filter());
            }
            filters.add(RequestBody.discard(keepBodyFor));
            filters.add(route.knownPaths());
            if (methods != null) {
                filters.add(methods);
            }
            context.getFilters().addAll(filters);
        }
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** Stops taking requests; answers being written get up to {@link InFlight#GRACE}. */
    @Override
    public void close() {
        inFlight.awaitIdle();
        server.stop(0);
        executor.shutdownNow();
    }
}
