package dev.herd.control;

/**
 * A request the control plane refuses before running anything: unknown command, caller not allowed, malformed.
 * {@link #httpStatus()} is what the HTTP API answers with.
 */
public final class ControlException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int httpStatus;

    ControlException(int httpStatus, String message) {
        super(message);
        this.httpStatus = httpStatus;
    }

    static ControlException unknownCommand(String name, CommandTable table) {
        return new ControlException(404, "unknown command '" + name + "'; commands: " + table.names());
    }

    static ControlException notAllowed(CommandDef command, dev.herd.Access caller) {
        return new ControlException(403, "command '" + command.name() + "' needs " + command.access().label()
                + " access; a " + caller.label() + " caller may not run it"
                + (command.access() == dev.herd.Access.LOCAL ? " (use the herd CLI on the master's machine)" : ""));
    }

    public int httpStatus() {
        return httpStatus;
    }
}
