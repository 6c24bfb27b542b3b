package dev.herd.control;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The dashboard's files at {@code /ui} (page, script, style, and uPlot for the plots, MIT licence beside it), bundled
 * in the jar and served to anyone who reaches the API port: they hold no data and no secret; everything they show
 * comes from the API with the key. Only these names are served; each answer forbids inline script, other origins,
 * framing and sniffing ({@link #POLICY}).
 */
final class DashboardAssets implements HttpHandler {
    /** Scripts and styles from this origin only, and no inline ones; the page talks to this master only. */
    static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
            + " img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    private static final Map<String, String> FILES = Map.of(
            "dashboard.html", "text/html; charset=utf-8",
            "dashboard.js", "text/javascript; charset=utf-8",
            "dashboard.css", "text/css; charset=utf-8",
            "uplot.min.js", "text/javascript; charset=utf-8",
            "uplot.min.css", "text/css; charset=utf-8",
            "uplot.LICENSE.txt", "text/plain; charset=utf-8",
            "favicon.svg", "image/svg+xml");
    private final Map<String, byte[]> loaded = new ConcurrentHashMap<>();

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            String path = Exchanges.path(exchange);
            String name = path.equals("/ui") || path.equals("/ui/") ? "dashboard.html" : path.substring("/ui/".length());
            String type = FILES.get(name);
            if (type == null) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            byte[] body = loaded.computeIfAbsent(name, DashboardAssets::read);
            var headers = exchange.getResponseHeaders();
            headers.set("Content-Type", type);
            headers.set("Content-Security-Policy", POLICY);
            headers.set("X-Content-Type-Options", "nosniff");
            headers.set("X-Frame-Options", "DENY");
            headers.set("Referrer-Policy", "no-referrer");
            headers.set("Cache-Control", "no-cache");
            if (method.equals("HEAD")) {
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    private static byte[] read(String name) {
        try (InputStream in = DashboardAssets.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the jar has no " + name + " beside " + DashboardAssets.class.getName());
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
