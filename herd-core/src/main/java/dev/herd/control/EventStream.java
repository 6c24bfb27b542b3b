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
 * <p>
 * {@code ?samples=true} (the dashboard): the resource samples too, as {@code event: samples} with the {@code samples}
 * command's answer and no id: all that are kept at once, then every {@link Samples#PER_PUSH} samples (30 s) the ones
 * taken since, in place of the keep-alive comment. A page that polled for them cost an idle master a request each
 * time, a few ms of CPU while that code is still interpreted; a write on a stream it already has costs a fraction of
 * that. What is left is waking the stream's thread, so it wakes twice a minute rather than four times, when the
 * sampler tells it to (no timer of its own), and writes the samples' JSON without reflection (the dashboard's budget
 * is 5% of an idle master's CPU).
 */
final class EventStream implements HttpHandler {
    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

    private final EventHub events;
    private final Samples samples;

    /** @param samples the master's resource samples, or null where there are none ({@code samples=true} is then 400) */
    EventStream(EventHub events, Samples samples) {
        this.events = events;
        this.samples = samples;
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
        String samplesWanted = Exchanges.query(exchange).first("samples");
        if (samplesWanted != null && !samplesWanted.equals("true") && !samplesWanted.equals("false")) {
            Exchanges.error(exchange, 400, "samples must be true or false, not '" + Exchanges.clip(samplesWanted) + "'");
            return;
        }
        boolean withSamples = "true".equals(samplesWanted);
        if (withSamples && samples == null) {
            Exchanges.error(exchange, 400, "this master keeps no samples");
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        try (EventHub.Subscription subscription = events.subscribe(after);
             OutputStream out = exchange.getResponseBody()) {
            write(out, "retry: 2000\n" + (subscription.gap() ? ": some events after " + after + " are no longer kept\n" : "") + "\n");
            Runnable newSamples = subscription::wake;
            try {
                if (withSamples) {
                    samples.watch(newSamples);
                }
                stream(subscription, out, withSamples);
            } finally {
                if (withSamples) {
                    samples.unwatch(newSamples);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Writes events as they come until the feed ends; with samples, also the new samples whenever the sampler says
     * there are some (every {@link Samples#PER_PUSH} samples), without a timer of its own; without, a comment
     * after each {@link #KEEP_ALIVE} with no event.
     */
    private void stream(EventHub.Subscription subscription, OutputStream out, boolean withSamples)
            throws IOException, InterruptedException {
        long sentUpTo = withSamples ? writeSamples(out, -1) : 0;
        long quiet = KEEP_ALIVE.toNanos();
        long quietUntil = System.nanoTime() + quiet;
        while (true) {
            EventHub.Entry entry = withSamples ? subscription.next()
                    : subscription.next(Duration.ofNanos(Math.max(0, quietUntil - System.nanoTime())));
            if (entry == null) {
                write(out, ": keep-alive\n\n");
                quietUntil = System.nanoTime() + quiet;
            } else if (subscription.isWake(entry)) {
                sentUpTo = writeSamples(out, sentUpTo);
            } else if (subscription.isEnd(entry)) {
                if (subscription.overflowed()) {
                    write(out, ": too far behind; reconnect with Last-Event-ID\n\n");
                }
                return;
            } else {
                write(out, "id: " + entry.id() + "\nevent: " + entry.name() + "\ndata: " + entry.json() + "\n\n");
            }
        }
    }

    /**
     * Writes the samples taken after {@code after} (epoch ms) as one {@code samples} message, or a keep-alive comment
     * when there is none (a stream opened between a sample and the sampler's wake-up has them all); the last one's
     * time. The first message ({@code after} -1) is always a samples message, empty or not.
     */
    private long writeSamples(OutputStream out, long after) throws IOException {
        Samples.Answer answer = samples.answer(after);
        if (answer.samples().isEmpty() && after >= 0) {
            write(out, ": keep-alive\n\n");
            return after;
        }
        write(out, "event: samples\ndata: " + Samples.json(answer) + "\n\n");
        return answer.samples().isEmpty() ? after : answer.samples().getLast().time();
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
