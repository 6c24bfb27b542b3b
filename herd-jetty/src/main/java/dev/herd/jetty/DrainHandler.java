package dev.herd.jetty;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The outermost handler of a Herd worker's server: Jetty's {@link GracefulHandler} (it counts requests in flight,
 * and {@code Server.stop()} waits for that count to reach zero), with two differences that make a drained worker
 * lose nothing while its siblings keep serving the port.
 *
 * <ul>
 *   <li>A request that arrives after the graceful stop began is <em>served</em>, not refused. Jetty 12.1 answers it
 *   {@code 503 Service Unavailable}: right for a server going away for good, wrong for one of several workers,
 *   where the request came on a keep-alive connection opened before the drain.</li>
 *   <li>From {@link #startDraining()} on, every response that is not yet committed says {@code Connection: close}:
 *   the client's next request goes through a new connection, to another worker. Responses committed before that
 *   went out keep-alive; {@link #keepAliveResponsesInFlight()} counts those still being written, because if the
 *   connector shut down during one, Jetty would close the connection after it without the client knowing, and the
 *   client's next request on it would be lost.</li>
 * </ul>
 */
public final class DrainHandler extends GracefulHandler {

    private volatile boolean draining;
    private final AtomicInteger keepAliveResponses = new AtomicInteger();

    public DrainHandler() {
    }

    public DrainHandler(Handler handler) {
        super(handler);
    }

    /** From now on every response not yet committed says {@code Connection: close}. */
    public void startDraining() {
        draining = true;
    }

    public boolean draining() {
        return draining;
    }

    /** Responses committed as keep-alive (before the drain) that are still being written. */
    public int keepAliveResponsesInFlight() {
        return keepAliveResponses.get();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (draining) {
            response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE);
            return super.handle(request, response, callback);
        }
        DrainAwareResponse watched = new DrainAwareResponse(request, response);
        return super.handle(request, watched, watched.completion(callback));
    }

    @Override
    protected void handleShutdownRejection(Request request, Response response, Callback callback) {
        Handler next = getHandler();
        try {
            if (next == null || !next.handle(request, response, callback)) {
                Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
            }
        } catch (Throwable failure) {
            Response.writeError(request, response, callback, failure);
        }
    }

    /**
     * The response of a request that began before the drain: the write that commits it adds
     * {@code Connection: close} if the drain has begun meanwhile, else is counted as a keep-alive response until the
     * request completes.
     */
    private final class DrainAwareResponse extends Response.Wrapper {
        /** The first write was seen: the response was committed by it, or already before. */
        private volatile boolean written;
        /** Counted in {@link #keepAliveResponses} and not yet taken off. */
        private final AtomicBoolean counted = new AtomicBoolean();

        DrainAwareResponse(Request request, Response wrapped) {
            super(request, wrapped);
        }

        @Override
        public void write(boolean last, ByteBuffer content, Callback callback) {
            if (!written) {
                written = true;
                if (!isCommitted()) {
                    // counted before the flag is read: the drain either sees this response or it sees the flag
                    keepAliveResponses.incrementAndGet();
                    counted.set(true);
                    if (draining) {
                        getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE);
                        uncount();
                    }
                }
            }
            super.write(last, content, callback);
        }

        Callback completion(Callback callback) {
            return new Callback.Nested(callback) {
                @Override
                public void succeeded() {
                    uncount();
                    super.succeeded();
                }

                @Override
                public void failed(Throwable failure) {
                    uncount();
                    super.failed(failure);
                }
            };
        }

        private void uncount() {
            if (counted.compareAndSet(true, false)) {
                keepAliveResponses.decrementAndGet();
            }
        }
    }
}
