package dev.herd.control;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.herd.command.CommandException;
import dev.herd.logs.WorkerLogs;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code GET /logs?slot=N&lines=K&follow=true}: a slot's last lines as text, then (follow) its new lines as they
 * are written, until the client goes away. {@code slot=all} (the default) prefixes each line with its slot.
 */
final class LogStream implements HttpHandler {
    /**
     * How long a follower waits for a line before it looks again. Plain text has no comment line to keep the
     * connection busy with, so a wake-up between lines writes nothing and only costs the master CPU (the dashboard
     * follows a log for as long as it is open): the stream sleeps until a line comes or the logs close.
     */
    private static final java.time.Duration QUIET_WAIT = java.time.Duration.ofHours(1);
    private final WorkerLogs logs;

    LogStream(WorkerLogs logs) {
        this.logs = logs;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        Query query = Exchanges.query(exchange);
        LogRequest request;
        try {
            request = LogRequest.parse(query.first("slot"), query.first("lines"), logs.slots());
        } catch (CommandException e) {
            Exchanges.error(exchange, 400, e.getMessage());
            return;
        }
        boolean follow = "true".equals(query.first("follow")) || "1".equals(query.first("follow"));
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        // the follower and the tail at one instant: a line copied meanwhile would be in both
        WorkerLogs.Follower[] following = new WorkerLogs.Follower[1];
        List<WorkerLogs.Line> tail = logs.whileNoLineIsCopied(() -> {
            following[0] = follow ? logs.follow(request.slot()) : null;
            return request.tail(logs);
        });
        try (OutputStream out = exchange.getResponseBody();
             WorkerLogs.Follower follower = following[0]) {
            for (WorkerLogs.Line line : tail) {
                out.write((request.format(line) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            out.flush();
            while (follower != null) {
                WorkerLogs.Line line = follower.next(QUIET_WAIT);
                if (line == null) {
                    continue; // a closed client is noticed at the next write
                }
                if (follower.isEnd(line)) {
                    break;
                }
                out.write((request.format(line) + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
