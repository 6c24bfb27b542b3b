package dev.herd.control;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Writing an HTTP API answer: a JSON object or text, one line, no body for HEAD. */
final class Exchanges {
    private Exchanges() {
    }

    static Query query(HttpExchange exchange) {
        return Query.parse(exchange.getRequestURI().getRawQuery());
    }

    static String path(HttpExchange exchange) {
        return exchange.getRequestURI().getRawPath();
    }

    static void error(HttpExchange exchange, int status, String message) throws IOException {
        json(exchange, status, ControlProtocol.error(message));
    }

    static void json(HttpExchange exchange, int status, String json) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        write(exchange, status, json);
    }

    static void text(HttpExchange exchange, int status, String text) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        write(exchange, status, text);
    }

    static void write(HttpExchange exchange, int status, String text) throws IOException {
        byte[] bytes = (text + "\n").getBytes(StandardCharsets.UTF_8);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** Echoes at most 100 characters of what a caller sent. */
    static String clip(String text) {
        return text.length() <= 100 ? text : text.substring(0, 100) + "...";
    }

    static boolean isGet(HttpExchange exchange) {
        String method = exchange.getRequestMethod();
        return method.equals("GET") || method.equals("HEAD");
    }
}
