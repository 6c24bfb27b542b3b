package dev.herd.control;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * {@code GET /events}, Server-Sent Events: every master event as {@code id: N}, {@code event: NAME}, {@code data: JSON},
 * live, with a comment every {@link #KEEP_ALIVE} so proxies and clients see the stream is alive. A client that
 * reconnects with {@code Last-Event-ID} (or {@code ?after=N}) first gets what it missed, while the master still keeps it.
 */
final class EventStream implements HttpHandler {
    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

    private final EventHub events;

    EventStream(EventHub events) {
        this.events = events;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String last = exchange.getRequestHeaders().getFirst("Last-Event-ID");
        if (last == null) {
            last = Exchanges.query(exchange).first("after");
        }
        long after;
        try {
            after = last == null || last.isBlank() ? 0 : Long.parseLong(last.trim());
        } catch (NumberFormatException e) {
            Exchanges.error(exchange, 400, "Last-Event-ID/after must be an event id (a number), not '" + Exchanges.clip(last) + "'");
            return;
        }
        if (after < 0) {
            Exchanges.error(exchange, 400, "Last-Event-ID/after must not be negative");
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        try (EventHub.Subscription subscription = events.subscribe(after);
             OutputStream out = exchange.getResponseBody()) {
            write(out, "retry: 2000\n" + (subscription.gap() ? ": some events after " + after + " are no longer kept\n" : "") + "\n");
            while (true) {
                EventHub.Entry entry = subscription.next(KEEP_ALIVE);
                if (entry == null) {
                    write(out, ": keep-alive\n\n");
                } else if (subscription.isEnd(entry)) {
                    if (subscription.overflowed()) {
                        write(out, ": too far behind; reconnect with Last-Event-ID\n\n");
                    }
                    break;
                } else {
                    write(out, "id: " + entry.id() + "\nevent: " + entry.name() + "\ndata: " + entry.json() + "\n\n");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
