package dev.herd.examples.jetty;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * The example's routes (GET and HEAD): {@code /} answers the worker's identity as JSON;
 * {@code /slow?ms=N} answers the same after N ms (0..60000, else 400) to keep a request in flight.
 *
 * <p>Non-blocking: {@code /slow} waits on Jetty's scheduler, not on a thread. While the server drains,
 * every response carries {@code Connection: close} so a keep-alive client moves to another worker.
 *
 * <p>Load shedding (ipcluster's toobusy; with {@code -Dherd.jetty.shedLoad=true}): while the process is overloaded (herd-worker's {@code overloaded()}: its
 * timer lag above 70 ms) a request is answered {@code 503} with {@code Retry-After: 1} at once, rather than taken
 * on and finished too late; {@code herd run --overload-recycle D} replaces a worker that stays so for D.
 */
final class AppHandler extends Handler.Abstract.NonBlocking {

    static final int MAX_SLOW_MILLIS = 60_000;
    private static final String JSON = "application/json";
    private static final String TEXT = "text/plain;charset=utf-8";

    private final byte[] identityJson;
    private final BooleanSupplier draining;
    private final BooleanSupplier overloaded;
    private final LongAdder served = new LongAdder();
    /** Keep-alive responses being written: see {@link #persistentWritesInFlight()}. */
    private final AtomicInteger persistentWrites = new AtomicInteger();

    AppHandler(Identity identity, BooleanSupplier draining, BooleanSupplier overloaded) {
        this.identityJson = identity.json();
        this.draining = draining;
        this.overloaded = overloaded;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String method = request.getMethod();
        if (!HttpMethod.GET.is(method) && !HttpMethod.HEAD.is(method)) {
            response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
            return send(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405, TEXT, text("method not allowed\n"));
        }
        if (overloaded.getAsBoolean()) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            return send(request, response, callback, HttpStatus.SERVICE_UNAVAILABLE_503, TEXT, text("overloaded\n"));
        }
        String path = Request.getPathInContext(request);
        return switch (path) {
            case "/" -> send(request, response, callback, HttpStatus.OK_200, JSON, identityJson);
            case "/slow" -> slow(request, response, callback);
            default -> send(request, response, callback, HttpStatus.NOT_FOUND_404, TEXT, text("not found\n"));
        };
    }

    private boolean slow(Request request, Response response, Callback callback) {
        long millis = parseMillis(Request.extractQueryParameters(request));
        if (millis < 0) {
            return send(request, response, callback, HttpStatus.BAD_REQUEST_400, TEXT,
                    text("ms must be an integer from 0 to " + MAX_SLOW_MILLIS + "\n"));
        }
        request.getComponents().getScheduler().schedule(
                () -> send(request, response, callback, HttpStatus.OK_200, JSON, identityJson),
                millis, TimeUnit.MILLISECONDS);
        return true;
    }

    /** @return the {@code ms} parameter, or -1 when missing, repeated or out of range */
    private static long parseMillis(Fields query) {
        Fields.Field field = query.get("ms");
        if (field == null || field.getValues().size() != 1) {
            return -1;
        }
        try {
            long ms = Long.parseLong(field.getValue());
            return ms >= 0 && ms <= MAX_SLOW_MILLIS ? ms : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private boolean send(Request request, Response response, Callback callback, int status, String type, byte[] body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        // counted before the drain flag is read, so that drain() either sees this write or this write sees the flag
        persistentWrites.incrementAndGet();
        Callback done = callback;
        if (draining.getAsBoolean()) {
            persistentWrites.decrementAndGet();
            // Jetty adds this itself once the connector is shut down; set here too so it holds from the
            // moment the drain is requested, whatever the order inside Server.stop()
            response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE);
        } else {
            done = new Callback.Nested(callback) {
                @Override
                public void succeeded() {
                    persistentWrites.decrementAndGet();
                    super.succeeded();
                }

                @Override
                public void failed(Throwable failure) {
                    persistentWrites.decrementAndGet();
                    super.failed(failure);
                }
            };
        }
        served.increment();
        boolean head = HttpMethod.HEAD.is(request.getMethod());
        response.write(true, head ? null : ByteBuffer.wrap(body), done);
        return true;
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Responses that went out as keep-alive and are still being written. If the connector shuts down while one
     * is written, Jetty closes the connection after it without saying so in the response (it was committed as
     * persistent), and a client that sends its next request on it loses that request. The drain therefore
     * waits for this to reach zero, after which every response says {@code Connection: close}, before it shuts
     * the connector down.
     */
    int persistentWritesInFlight() {
        return persistentWrites.get();
    }

    long requestsServed() {
        return served.sum();
    }
}
