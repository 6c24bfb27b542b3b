package dev.herd;

import java.util.List;
import java.util.Objects;

/**
 * A command an application adds to its master's control plane (cluster-service's custom commands): it runs
 * through the local socket ({@code herd exec NAME WORDS...}) and the HTTP API ({@code POST /api/NAME}) like the
 * built-in ones, under its {@link Access} level, and {@code help} lists it.
 *
 * @param name    lower-case letters, digits and '-', starting with a letter; not a built-in command's name
 * @param access  the lowest caller level allowed to run it
 * @param usage   e.g. {@code "flush-cache [region]"}
 * @param summary one line for {@code help}
 * @param handler what it does
 */
public record Command(String name, Access access, String usage, String summary, Handler handler) {

    /**
     * Runs the command with the words after its name. Called on a thread of the transport (never the supervisor's):
     * it may block, and must be thread-safe. The result is sent as JSON (a record, map, list, string or number).
     */
    @FunctionalInterface
    public interface Handler {
        /** @throws IllegalArgumentException when the words are wrong: the caller gets its message (HTTP 400) */
        Object run(List<String> args) throws Exception;
    }

    public Command {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(handler, "handler");
        usage = usage == null ? name : usage;
        summary = summary == null ? "" : summary;
    }
}
