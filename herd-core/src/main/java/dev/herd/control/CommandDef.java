package dev.herd.control;

import dev.herd.Access;

import java.util.concurrent.CompletableFuture;

/**
 * A control command: its name, the lowest {@link Access} level allowed to run it, whether it only reads (then
 * {@code GET} may run it over HTTP), its usage and one-line summary for {@code help}, and what it does.
 */
public record CommandDef(String name, Access access, boolean readOnly, String usage, String summary, Handler handler) {

    /** Runs a command; throws {@link dev.herd.command.CommandException} (or completes with it) on bad input. */
    @FunctionalInterface
    public interface Handler {
        CompletableFuture<?> run(CommandRequest request);
    }
}
