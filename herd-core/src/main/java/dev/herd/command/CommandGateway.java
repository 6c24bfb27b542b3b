package dev.herd.command;

import java.util.concurrent.CompletableFuture;

/**
 * The one way into a running master's state from another thread: the command is carried out on the supervisor
 * thread and the future completes with its answer, or with a {@link CommandException} saying why not.
 */
@FunctionalInterface
public interface CommandGateway {
    <R> CompletableFuture<R> submit(ControlCommand<R> command);
}
