package dev.herd.examples.jetty;

import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's {@link GracefulHandler} (it counts requests in flight, and {@code Server.stop()} waits for
 * that count to reach zero), except that a request arriving after the graceful shutdown began is
 * <em>served</em> instead of refused.
 *
 * <p>Jetty 12.1's default answers such a request {@code 503 Service Unavailable}: right for a server
 * that is going away for good, wrong under Herd, where the drained worker is one of several sharing
 * the port. A request that still reaches it (on a keep-alive connection that was open before the drain)
 * is answered normally, with {@code Connection: close} (the connector is shut down), and the client's
 * next request goes through a new connection to another worker. The request stays counted, so the
 * drain still waits for it.
 */
final class DrainingGracefulHandler extends GracefulHandler {

    DrainingGracefulHandler(Handler handler) {
        super(handler);
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
}
