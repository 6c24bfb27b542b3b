package dev.herd.control;

import dev.herd.command.CommandException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletionException;

/**
 * Why a command was not answered, as both transports say it: the HTTP status (docs/api.md) and the message the
 * local socket and the HTTP API put in {@code "error"}. The one place that maps failures to statuses.
 */
record ControlErrors(int status, String message) {
    private static final Logger log = LoggerFactory.getLogger(ControlErrors.class);

    /**
     * The answer to a failed request: a {@link ControlException} (unknown command 404, not allowed 403) keeps its
     * status; a {@link CommandException} (bad words, cannot run now) and a malformed request
     * ({@link IllegalArgumentException}) are 400; anything else is an internal error, 500, logged as
     * {@code event=EVENT}.
     */
    static ControlErrors of(Throwable failure, String command, String event) {
        Throwable e = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        return switch (e) {
            case ControlException refused -> new ControlErrors(refused.httpStatus(), refused.getMessage());
            case CommandException failed -> new ControlErrors(400, failed.getMessage());
            case IllegalArgumentException malformed -> new ControlErrors(400, malformed.getMessage());
            default -> {
                log.error("event={} command={} error=\"{}\"", event, command, String.valueOf(e), e);
                yield new ControlErrors(500, "internal error: " + e);
            }
        };
    }
}
