package dev.herd.supervisor;

import dev.herd.command.CommandException;
import dev.herd.command.ControlCommand;

/**
 * Starts the next master of this cluster ({@code upgrade-master}, SIGUSR2): a new process with this master's
 * command line plus {@code --takeover}, which asks this one for the cluster. Called on the loop thread; must only
 * start the process (the hand-over comes to the loop later, as any message).
 */
public interface MasterSuccessor {
    /** A master the runtime cannot restart (library mode, tests). */
    MasterSuccessor NONE = () -> {
        throw new CommandException("this master cannot start its successor: upgrade-master needs a master started by"
                + " 'herd run'; start one yourself with 'herd run --takeover ...'");
    };

    /** Starts it; throws a {@link CommandException} saying why it could not. */
    ControlCommand.MasterStarted start();
}
