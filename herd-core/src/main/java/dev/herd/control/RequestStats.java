package dev.herd.control;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * The first filter of every request: counts it in flight (so closing waits for answers being written), closes the
 * exchange when done, logs an unexpected failure, and records its route and status for {@code /metrics}
 * ({@code 499}: the client went away).
 */
final class RequestStats extends Filter {
    private static final Logger log = LoggerFactory.getLogger(RequestStats.class);

    private final HttpApi.Route route;
    private final ApiStats stats;
    private final InFlight inFlight;

    RequestStats(HttpApi.Route route, ApiStats stats, InFlight inFlight) {
        this.route = route;
        this.stats = stats;
        this.inFlight = inFlight;
    }

    @Override
    public void doFilter(HttpExchange exchange, Chain chain) {
        inFlight.begin();
        int status = 500;
        try (exchange) {
            chain.doFilter(exchange);
            status = exchange.getResponseCode() < 0 ? 500 : exchange.getResponseCode();
        } catch (IOException e) {
            status = 499; // the client went away
        } catch (RuntimeException e) {
            log.error("event=api.error path={} error=\"{}\"", Exchanges.clip(Exchanges.path(exchange)), e.toString(), e);
        } finally {
            stats.record(route.serves().test(Exchanges.path(exchange)) ? route.name() : "other", status);
            inFlight.end();
        }
    }

    @Override
    public String description() {
        return "herd: in flight, close, API stats";
    }
}
