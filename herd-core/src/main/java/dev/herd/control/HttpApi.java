package dev.herd.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.herd.Access;
import dev.herd.StartupException;
import dev.herd.command.ClusterStatus;
import dev.herd.command.CommandException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The HTTP control API (docs/api.md), on the JDK's HTTP server with a virtual thread per exchange:
 * <ul>
 *   <li>{@code GET /api/NAME} (read-only commands) and {@code POST /api/NAME} (any command; optional JSON body
 *       {@code {"args":[...]}}, plus upgrade's argv/env): the command set of the local socket, for a remote caller.</li>
 *   <li>{@code POST /cli?cmd=restart+all&accessKey=KEY}: cluster-service's endpoint, its status codes.</li>
 *   <li>{@code GET /ecv}, {@code POST /ecv/enable}, {@code POST /ecv/disable}: cluster2's load-balancer check.</li>
 * </ul>
 * Everything but {@code GET /ecv} needs the access key as {@code Authorization: Bearer KEY}; a missing or wrong key
 * is 401 and runs nothing. Mutations are never GET.
 */
public final class HttpApi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    /**
     * Largest request body read; a command's arguments and an upgrade's command line and environment fit easily,
     * and a flood of large bodies cannot make the master's heap grow.
     */
    static final int MAX_BODY_BYTES = 64 * 1024;

    private final HttpServer server;
    private final ExecutorService executor;
    private final CommandTable commands;
    private final AccessKey key;
    private final boolean allowGet;
    private final Ecv ecv;
    private final InFlight inFlight = new InFlight();
    private final ApiStats stats;
    private final Observability observe;

    /** What the read-only streams and pages show: events, metrics and the snapshot they are taken from. */
    record Observability(EventHub events, Metrics metrics, java.util.function.Supplier<ClusterStatus> status,
                         dev.herd.logs.WorkerLogs logs) {
    }

    private HttpApi(HttpServer server, ExecutorService executor, CommandTable commands, AccessKey key, boolean allowGet,
                    Ecv ecv, ApiStats stats, Observability observe) {
        this.server = server;
        this.executor = executor;
        this.commands = commands;
        this.key = key;
        this.allowGet = allowGet;
        this.ecv = ecv;
        this.stats = stats;
        this.observe = observe;
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
        ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("herd-api-", 0).factory());
        server.setExecutor(executor);
        HttpApi api = new HttpApi(server, executor, commands, key, allowGet, ecv, stats, observe);
        server.createContext("/", api::handle);
        server.start();
        return api;
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    private void handle(HttpExchange exchange) {
        inFlight.begin();
        String route = "other";
        int status = 500;
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            route = route(path);
            // everything but the load balancers' GET /ecv needs the key, unknown paths too: nothing to discover
            boolean open = route.equals("ecv") && path.equals("/ecv");
            String queryKey = route.equals("cli") ? first(query(exchange), "accessKey") : null;
            if (!open && !authorized(exchange, queryKey)) {
                status = unauthorized(exchange);
                return;
            }
            if (!(route.equals("api") && exchange.getRequestMethod().equals("POST"))) {
                // a body nobody reads would keep the request unfinished, and the request timeout would cut a long
                // command (a reload) or a stream; /api POST reads its own
                discard(exchange.getRequestBody());
            }
            status = switch (route) {
                case "api" -> api(exchange, path.substring("/api/".length()));
                case "cli" -> cli(exchange);
                case "ecv" -> ecv(exchange, path);
                case "events" -> events(exchange);
                case "metrics" -> metrics(exchange);
                case "logs" -> logs(exchange);
                default -> send(exchange, 404, error("no such endpoint " + clip(path)
                        + "; see docs/api.md: /api/COMMAND, /cli, /ecv, /events, /metrics"));
            };
        } catch (IOException e) {
            status = 499; // the client went away
        } catch (RuntimeException e) {
            log.error("event=api.error path={} error=\"{}\"", clip(exchange.getRequestURI().getRawPath()), e.toString(), e);
        } finally {
            stats.record(route, status);
            inFlight.end();
        }
    }

    private static String route(String path) {
        if (path.startsWith("/api/") && path.length() > "/api/".length()) {
            return "api";
        }
        if (path.equals("/cli")) {
            return "cli";
        }
        if (path.equals("/ecv") || path.startsWith("/ecv/")) {
            return "ecv";
        }
        if (path.equals("/events")) {
            return "events";
        }
        if (path.equals("/metrics")) {
            return "metrics";
        }
        if (path.equals("/logs")) {
            return "logs";
        }
        return "other";
    }

    // ---- /api/NAME ----

    private int api(HttpExchange exchange, String name) throws IOException {
        String method = exchange.getRequestMethod();
        if (name.contains("/")) {
            return send(exchange, 404, error("no such endpoint /api/" + clip(name) + "; commands are /api/NAME"));
        }
        var command = commands.find(name);
        if (command.isEmpty()) {
            return send(exchange, 404, error("unknown command '" + clip(name) + "'; GET /api/help lists them"));
        }
        if (method.equals("GET") || method.equals("HEAD")) {
            if (!command.get().readOnly()) {
                exchange.getResponseHeaders().add("Allow", "POST");
                return send(exchange, 405, error("command '" + name + "' changes the cluster: use POST"));
            }
            return run(exchange, new CommandRequest(name, queryArgs(exchange), null), Access.REMOTE, false);
        }
        if (!method.equals("POST")) {
            exchange.getResponseHeaders().add("Allow", command.get().readOnly() ? "GET, POST" : "POST");
            return send(exchange, 405, error("method " + clip(method) + " is not allowed; use POST"));
        }
        ObjectNode body;
        try {
            body = jsonBody(exchange);
        } catch (BodyException e) {
            return send(exchange, e.status, error(e.getMessage()));
        }
        CommandRequest request;
        try {
            request = ControlProtocol.request(name, body);
        } catch (IllegalArgumentException e) {
            return send(exchange, 400, error(e.getMessage()));
        }
        return run(exchange, request, Access.REMOTE, false);
    }

    /** {@code GET /api/help?arg=reload}: a read-only command's words, from repeated {@code arg} parameters. */
    private static List<String> queryArgs(HttpExchange exchange) {
        List<String> args = new ArrayList<>();
        for (Map.Entry<String, List<String>> param : query(exchange).entrySet()) {
            if (param.getKey().equals("arg")) {
                args.addAll(param.getValue());
            }
        }
        return args;
    }

    private int run(HttpExchange exchange, CommandRequest request, Access caller, boolean clusterServiceCodes)
            throws IOException {
        Object result;
        try {
            result = commands.run(request, caller).join();
        } catch (ControlException e) {
            int status = clusterServiceCodes && e.httpStatus() == 403 ? 401 : e.httpStatus();
            return send(exchange, status, error(e.getMessage()));
        } catch (CompletionException e) {
            if (e.getCause() instanceof CommandException failed) {
                return send(exchange, 400, error(failed.getMessage()));
            }
            log.error("event=api.command_error command={} error=\"{}\"", request.name(), String.valueOf(e.getCause()), e.getCause());
            return send(exchange, 500, error("internal error: " + e.getCause()));
        }
        return send(exchange, 200, ControlProtocol.ok(result));
    }

    // ---- /cli (cluster-service) ----

    /**
     * cluster-service's {@code POST /cli?cmd=...&accessKey=...}: 401 bad key or access level, 404 unknown command,
     * 405 GET unless allowed, 400 when the command fails.
     */
    private int cli(HttpExchange exchange) throws IOException {
        Map<String, List<String>> query = query(exchange);
        String method = exchange.getRequestMethod();
        if (!(method.equals("POST") || (allowGet && method.equals("GET")))) {
            exchange.getResponseHeaders().add("Allow", allowGet ? "GET, POST" : "POST");
            return send(exchange, 405, error("use POST for /cli" + (allowGet ? "" : " (GET is off; the master's --api-allow-get turns it on)")));
        }
        String cmd = first(query, "cmd");
        if (cmd == null || cmd.isBlank()) {
            return send(exchange, 400, error("/cli needs ?cmd=COMMAND (words separated by spaces, e.g. cmd=restart%20all)"));
        }
        List<String> words = new ArrayList<>(Arrays.asList(cmd.trim().split("\\s+")));
        if (words.size() > ControlProtocol.MAX_ARGS + 1) {
            return send(exchange, 400, error("cmd has " + words.size() + " words; at most " + (ControlProtocol.MAX_ARGS + 1)));
        }
        String name = words.removeFirst();
        return run(exchange, new CommandRequest(name, words, null), Access.REMOTE, true);
    }

    // ---- /ecv (cluster2) ----

    private int ecv(HttpExchange exchange, String path) throws IOException {
        String method = exchange.getRequestMethod();
        exchange.getResponseHeaders().add("Cache-Control", "no-cache");
        if (path.equals("/ecv")) {
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().add("Allow", "GET");
                return send(exchange, 405, error("GET /ecv; POST /ecv/enable or /ecv/disable to change it"));
            }
            Ecv.Check check = ecv.check();
            exchange.getResponseHeaders().add("since", Ecv.httpDate(ecv.since()));
            if (check.reason() != null) {
                exchange.getResponseHeaders().add("X-Herd-Reason", check.reason());
            }
            return sendText(exchange, check.state().httpStatus, ecv.body(check.state()));
        }
        boolean enable = path.equals("/ecv/enable");
        if (!enable && !path.equals("/ecv/disable")) {
            return send(exchange, 404, error("no such endpoint " + clip(path) + "; /ecv, /ecv/enable, /ecv/disable"));
        }
        if (!method.equals("POST")) {
            exchange.getResponseHeaders().add("Allow", "POST");
            return send(exchange, 405, error(path + " changes the ECV: use POST"));
        }
        java.time.Instant since = enable ? ecv.enable() : ecv.disable();
        exchange.getResponseHeaders().add("since", Ecv.httpDate(since));
        exchange.sendResponseHeaders(204, -1);
        return 204;
    }

    // ---- /metrics, /events ----

    private int metrics(HttpExchange exchange) throws IOException {
        if (!isGet(exchange)) {
            return methodNotAllowed(exchange, "GET");
        }
        ClusterStatus status;
        try {
            status = observe.status().get();
        } catch (CompletionException e) {
            return send(exchange, 503, error("no metrics now: " + e.getCause().getMessage()));
        }
        exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        return write(exchange, 200, observe.metrics().render(status).stripTrailing());
    }

    /**
     * Server-Sent Events: every master event as {@code id: N}, {@code event: NAME}, {@code data: JSON}, live, with a
     * comment every {@link #KEEP_ALIVE} so proxies and clients see the stream is alive. A client that reconnects
     * with {@code Last-Event-ID} (or {@code ?after=N}) first gets what it missed, while the master still keeps it.
     */
    private int events(HttpExchange exchange) throws IOException {
        if (!isGet(exchange)) {
            return methodNotAllowed(exchange, "GET");
        }
        String last = exchange.getRequestHeaders().getFirst("Last-Event-ID");
        if (last == null) {
            last = first(query(exchange), "after");
        }
        long after;
        try {
            after = last == null || last.isBlank() ? 0 : Long.parseLong(last.trim());
        } catch (NumberFormatException e) {
            return send(exchange, 400, error("Last-Event-ID/after must be an event id (a number), not '" + clip(last) + "'"));
        }
        if (after < 0) {
            return send(exchange, 400, error("Last-Event-ID/after must not be negative"));
        }
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        try (EventHub.Subscription subscription = observe.events().subscribe(after);
             OutputStream out = exchange.getResponseBody()) {
            out.write(("retry: 2000\n" + (subscription.gap() ? ": some events after " + after + " are no longer kept\n" : "")
                    + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                EventHub.Entry entry = subscription.next(KEEP_ALIVE);
                if (entry == null) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                } else if (subscription.isEnd(entry)) {
                    if (subscription.overflowed()) {
                        out.write(": too far behind; reconnect with Last-Event-ID\n\n".getBytes(StandardCharsets.UTF_8));
                    }
                    break;
                } else {
                    out.write(("id: " + entry.id() + "\nevent: " + entry.name() + "\ndata: " + entry.json() + "\n\n")
                            .getBytes(StandardCharsets.UTF_8));
                }
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 200;
    }

    static final java.time.Duration KEEP_ALIVE = java.time.Duration.ofSeconds(15);

    /**
     * {@code GET /logs?slot=N&lines=K&follow=true}: a slot's last lines as text, then (follow) its new lines as they
     * are written, until the client goes away. {@code slot=all} (the default) prefixes each line with its slot.
     */
    private int logs(HttpExchange exchange) throws IOException {
        if (!isGet(exchange)) {
            return methodNotAllowed(exchange, "GET");
        }
        Map<String, List<String>> query = query(exchange);
        LogRequest request;
        try {
            request = LogRequest.parse(first(query, "slot"), first(query, "lines"), observe.logs().slots());
        } catch (CommandException e) {
            return send(exchange, 400, error(e.getMessage()));
        }
        boolean follow = "true".equals(first(query, "follow")) || "1".equals(first(query, "follow"));
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody();
             dev.herd.logs.WorkerLogs.Follower follower = follow ? observe.logs().follow(request.slot()) : null) {
            for (dev.herd.logs.WorkerLogs.Line line : request.tail(observe.logs())) {
                out.write((request.format(line) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            out.flush();
            while (follower != null) {
                dev.herd.logs.WorkerLogs.Line line = follower.next(KEEP_ALIVE);
                if (line == null) {
                    continue; // a closed client is noticed at the next write
                }
                if (follower.isEnd(line)) {
                    break;
                }
                out.write((request.format(line) + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 200;
    }

    private static boolean isGet(HttpExchange exchange) {
        String method = exchange.getRequestMethod();
        return method.equals("GET") || method.equals("HEAD");
    }

    private static int methodNotAllowed(HttpExchange exchange, String allowed) throws IOException {
        exchange.getResponseHeaders().add("Allow", allowed);
        return send(exchange, 405, error("method " + clip(exchange.getRequestMethod()) + " is not allowed here; use " + allowed));
    }

    // ---- helpers ----

    private boolean authorized(HttpExchange exchange, String queryKey) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return key.matches(header.substring(7).trim());
        }
        return queryKey != null && key.matches(queryKey);
    }

    private static int unauthorized(HttpExchange exchange) throws IOException {
        exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"herd\"");
        // a caller without the key keeps no connection open (no keep-alive slot to hold against the cap)
        exchange.getResponseHeaders().set("Connection", "close");
        return send(exchange, 401, error("missing or wrong access key: send 'Authorization: Bearer KEY' (the key is in "
                + "STATE-DIR/" + AccessKey.FILE_NAME + " on the master's machine)"));
    }

    private static ObjectNode jsonBody(HttpExchange exchange) throws IOException, BodyException {
        byte[] bytes = readBody(exchange);
        if (bytes.length == 0) {
            return ControlProtocol.JSON.createObjectNode();
        }
        JsonNode node;
        try {
            node = ControlProtocol.JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new BodyException(400, "body is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || node.isMissingNode()) {
            return ControlProtocol.JSON.createObjectNode();
        }
        if (!node.isObject()) {
            throw new BodyException(400, "body must be a JSON object like {\"args\":[\"slot\",\"2\"]}");
        }
        return (ObjectNode) node;
    }

    private static byte[] readBody(HttpExchange exchange) throws IOException, BodyException {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        try (InputStream in = exchange.getRequestBody()) {
            if (declared != null && declaredTooLarge(declared)) {
                discard(in);
                throw new BodyException(413, "body is larger than " + MAX_BODY_BYTES + " bytes");
            }
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                discard(in);
                throw new BodyException(413, "body is larger than " + MAX_BODY_BYTES + " bytes");
            }
            return bytes;
        }
    }

    /** Most a refused body is read for, so that the client, still sending, gets the 413 rather than a reset. */
    static final long MAX_DISCARD_BYTES = 64L << 20;

    /** Reads a refused body away through one small buffer (no heap in proportion to it), up to a bound. */
    private static void discard(InputStream in) throws IOException {
        byte[] sink = new byte[8192];
        long total = 0;
        int n;
        while (total < MAX_DISCARD_BYTES && (n = in.read(sink)) > 0) {
            total += n;
        }
    }

    private static boolean declaredTooLarge(String contentLength) {
        try {
            return Long.parseLong(contentLength.trim()) > MAX_BODY_BYTES;
        } catch (NumberFormatException e) {
            return false; // the server itself rejects a malformed length
        }
    }

    private static Map<String, List<String>> query(HttpExchange exchange) {
        Map<String, List<String>> params = new LinkedHashMap<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            try {
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                params.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            } catch (IllegalArgumentException e) {
                // a malformed %-escape: the parameter is ignored, and a command missing it says so
            }
        }
        return params;
    }

    private static String first(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    static String error(String message) {
        return ControlProtocol.error(message);
    }

    /** Echoes at most 100 characters of what a caller sent. */
    private static String clip(String text) {
        return text.length() <= 100 ? text : text.substring(0, 100) + "...";
    }

    private static int send(HttpExchange exchange, int status, String json) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        return write(exchange, status, json);
    }

    private static int sendText(HttpExchange exchange, int status, String text) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        return write(exchange, status, text);
    }

    private static int write(HttpExchange exchange, int status, String text) throws IOException {
        byte[] bytes = (text + "\n").getBytes(StandardCharsets.UTF_8);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
        return status;
    }

    /** Stops taking requests; answers being written get up to {@link InFlight#GRACE}. */
    @Override
    public void close() {
        inFlight.awaitIdle();
        server.stop(0);
        executor.shutdownNow();
    }

    private static final class BodyException extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        BodyException(int status, String message) {
            super(message);
            this.status = status;
        }
    }
}
