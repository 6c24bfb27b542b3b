package dev.herd.examples.demo;

import java.nio.charset.StandardCharsets;

/**
 * The demo's routes. GET and HEAD only:
 * {@code /health} answers {@code ok}; {@code /slow?ms=N} waits N ms (0..60000) to keep a request in
 * flight; every other path answers the worker's identity as JSON.
 */
final class DemoHandler {

    static final int MAX_SLOW_MILLIS = 60_000;

    private final byte[] identityJson;

    DemoHandler(Identity identity) {
        this.identityJson = identity.json();
    }

    Response handle(HttpRequest request) throws InterruptedException {
        if (!request.method().equals("GET") && !request.isHead()) {
            return Response.methodNotAllowed();
        }
        return switch (request.path()) {
            case "/health" -> Response.ok(Response.TEXT, "ok".getBytes(StandardCharsets.US_ASCII));
            case "/slow" -> slow(request.queryParameter("ms"));
            default -> Response.ok(Response.JSON, identityJson);
        };
    }

    private Response slow(String ms) throws InterruptedException {
        long millis;
        try {
            millis = ms == null ? -1 : Long.parseLong(ms);
        } catch (NumberFormatException e) {
            millis = -1;
        }
        if (millis < 0 || millis > MAX_SLOW_MILLIS) {
            return Response.text(400, "Bad Request", "ms must be an integer from 0 to " + MAX_SLOW_MILLIS + "\n");
        }
        Thread.sleep(millis); // a virtual thread: sleeping costs no platform thread
        return Response.ok(Response.JSON, identityJson);
    }
}
