package dev.herd.control;

import com.sun.net.httpserver.HttpHandler;

import java.time.Instant;

/** cluster2's {@code GET /ecv} (no key needed) and {@code POST /ecv/enable}, {@code POST /ecv/disable}. */
final class EcvEndpoint {
    private final Ecv ecv;

    EcvEndpoint(Ecv ecv) {
        this.ecv = ecv;
    }

    /** {@code GET /ecv}: AVAILABLE 200, WARNING 500 or DISABLED 400, as text with the {@code since} header. */
    HttpHandler check() {
        return exchange -> {
            exchange.getResponseHeaders().add("Cache-Control", "no-cache");
            if (!Exchanges.isGet(exchange)) {
                AllowedMethods.refuse(exchange, "GET", "GET /ecv; POST /ecv/enable or /ecv/disable to change it");
                return;
            }
            Ecv.Check check = ecv.check();
            exchange.getResponseHeaders().add("since", Ecv.httpDate(ecv.since()));
            if (check.reason() != null) {
                exchange.getResponseHeaders().add("X-Herd-Reason", check.reason());
            }
            Exchanges.text(exchange, check.state().httpStatus, ecv.body(check.state()));
        };
    }

    /** {@code POST /ecv/enable}, {@code POST /ecv/disable}: 204 with the {@code since} header. */
    HttpHandler change() {
        return exchange -> {
            exchange.getResponseHeaders().add("Cache-Control", "no-cache");
            String path = Exchanges.path(exchange);
            boolean enable = path.equals("/ecv/enable");
            if (!enable && !path.equals("/ecv/disable")) {
                Exchanges.error(exchange, 404, "no such endpoint " + Exchanges.clip(path) + "; /ecv, /ecv/enable, /ecv/disable");
                return;
            }
            if (!exchange.getRequestMethod().equals("POST")) {
                AllowedMethods.refuse(exchange, "POST", path + " changes the ECV: use POST");
                return;
            }
            Instant since = enable ? ecv.enable() : ecv.disable();
            exchange.getResponseHeaders().add("since", Ecv.httpDate(since));
            exchange.sendResponseHeaders(204, -1);
        };
    }
}
