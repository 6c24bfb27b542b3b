package dev.herd.control;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;

import java.io.IOException;

/**
 * The HTTP API's access check: {@code Authorization: Bearer KEY}, compared in constant time ({@link AccessKey}).
 * {@code /cli} also takes the key as {@code ?accessKey=} (a bearer header, when sent, decides); {@code GET /ecv}
 * needs none. Unknown paths need the key too, so nothing can be discovered without it.
 * <p>
 * It runs as the first {@link Filter} after {@link RequestStats} ({@link #filter()}) rather than through
 * {@code HttpContext.setAuthenticator}: the JDK's own authentication filter answers a failure with an empty body
 * and reads the whole request body first, while docs/api.md promises a JSON error and a 401 that just closes
 * the connection.
 */
final class BearerAuthenticator extends Authenticator {
    static final String REALM = "herd";

    private final AccessKey key;
    private final boolean queryKey;
    private final String openPath;

    /**
     * @param queryKey whether {@code ?accessKey=} is accepted (cluster-service's {@code /cli})
     * @param openPath a path anyone may call without the key (the load balancers' {@code /ecv}), or null
     */
    BearerAuthenticator(AccessKey key, boolean queryKey, String openPath) {
        this.key = key;
        this.queryKey = queryKey;
        this.openPath = openPath;
    }

    @Override
    public Result authenticate(HttpExchange exchange) {
        if (openPath != null && openPath.equals(Exchanges.path(exchange))) {
            return new Success(new HttpPrincipal("anyone", REALM));
        }
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        boolean ok;
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            ok = key.matches(header.substring(7).trim());
        } else {
            String presented = queryKey ? Exchanges.query(exchange).first("accessKey") : null;
            ok = presented != null && key.matches(presented);
        }
        return ok ? new Success(new HttpPrincipal("remote", REALM)) : new Failure(401);
    }

    /** Lets an authenticated exchange through; answers anything else 401 with a JSON error and closes the connection. */
    Filter filter() {
        return new Filter() {
            @Override
            public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
                if (authenticate(exchange) instanceof Success) {
                    chain.doFilter(exchange);
                    return;
                }
                exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"" + REALM + "\"");
                // a caller without the key keeps no connection open (no keep-alive slot to hold against the cap)
                exchange.getResponseHeaders().set("Connection", "close");
                Exchanges.error(exchange, 401, "missing or wrong access key: send 'Authorization: Bearer KEY' (the key is in "
                        + "STATE-DIR/" + AccessKey.FILE_NAME + " on the master's machine)");
            }

            @Override
            public String description() {
                return "herd: bearer access key";
            }
        };
    }
}
