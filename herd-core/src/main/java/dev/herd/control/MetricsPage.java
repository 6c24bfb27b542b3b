package dev.herd.control;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.herd.command.ClusterStatus;

import java.io.IOException;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/** {@code GET /metrics}: the Prometheus text of {@link Metrics} over a fresh status snapshot (503 when none). */
final class MetricsPage implements HttpHandler {
    private final Metrics metrics;
    private final Supplier<ClusterStatus> status;

    MetricsPage(Metrics metrics, Supplier<ClusterStatus> status) {
        this.metrics = metrics;
        this.status = status;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        ClusterStatus snapshot;
        try {
            snapshot = status.get();
        } catch (CompletionException e) {
            Exchanges.error(exchange, 503, "no metrics now: " + e.getCause().getMessage());
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        Exchanges.write(exchange, 200, metrics.render(snapshot).stripTrailing());
    }
}
