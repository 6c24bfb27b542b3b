package dev.herd.command;

/** A control command that cannot be carried out now; the message says why and what to do. */
public final class CommandException extends RuntimeException {
    public CommandException(String message) {
        super(message);
    }
}
