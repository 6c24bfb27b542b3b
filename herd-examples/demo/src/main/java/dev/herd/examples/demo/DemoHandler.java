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
    private final Liveness liveness;
    private final boolean testHooks = Liveness.testHooksEnabled();

    DemoHandler(Identity identity, Liveness liveness) {
        this.identityJson = identity.json();
        this.liveness = liveness;
    }

    DemoHandler(Identity identity) {
        this(identity, new Liveness());
    }

    Response handle(HttpRequest request) throws InterruptedException {
        if (!request.method().equals("GET") && !request.isHead()) {
            return Response.methodNotAllowed();
        }
        return switch (request.path()) {
            case "/health" -> Response.ok(Response.TEXT, "ok".getBytes(StandardCharsets.US_ASCII));
            case "/slow" -> slow(request.queryParameter("ms"));
            case "/hang" -> hang();
            default -> Response.ok(Response.JSON, identityJson);
        };
    }

    /** Test hook ({@code HERD_DEMO_TEST_HOOKS=1}): the worker stops accepting and heartbeating, as if deadlocked. */
    private Response hang() {
        if (!testHooks) {
            return Response.ok(Response.JSON, identityJson);
        }
        Thread.ofPlatform().daemon().name("herd-demo-hang").start(liveness::hang);
        Log.info("herd-demo: /hang: no more accepts or heartbeats from now on");
        return Response.ok(Response.JSON, identityJson); // says which worker hangs
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
