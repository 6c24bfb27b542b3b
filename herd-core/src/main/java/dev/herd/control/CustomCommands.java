package dev.herd.control;

import dev.herd.Command;
import dev.herd.command.CommandException;

import java.util.concurrent.CompletableFuture;

/** Turns an application's {@link Command} into an entry of the command table. */
final class CustomCommands {
    private CustomCommands() {
    }

    static CommandDef def(Command command) {
        return new CommandDef(command.name(), command.access(), false, command.usage(), command.summary(), request -> {
            try {
                return CompletableFuture.completedFuture(command.handler().run(request.args()));
            } catch (IllegalArgumentException e) {
                throw new CommandException(command.name() + ": " + e.getMessage());
            } catch (Exception e) {
                return CompletableFuture.failedFuture(new IllegalStateException(
                        "command '" + command.name() + "' failed: " + e, e));
            }
        });
    }
}
