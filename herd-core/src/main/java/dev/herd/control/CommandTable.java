package dev.herd.control;

import dev.herd.Access;
import dev.herd.command.CommandException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * Every command the control plane knows, by name: the built-in ones and those an application registers. The
 * local socket and the HTTP API both run commands through here, so they offer the same set under the same rules.
 * Thread-safe once built (commands are only added before the servers start).
 */
public final class CommandTable {
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,39}");

    private final Map<String, CommandDef> commands = new LinkedHashMap<>();

    /** @throws IllegalArgumentException for a name that is not lower-case words or is taken */
    public synchronized CommandTable add(CommandDef command) {
        if (!NAME.matcher(command.name()).matches()) {
            throw new IllegalArgumentException("command name '" + command.name()
                    + "' must be lower-case letters, digits and '-', starting with a letter, at most 40 characters");
        }
        if (commands.containsKey(command.name())) {
            throw new IllegalArgumentException("command '" + command.name() + "' is already defined");
        }
        commands.put(command.name(), command);
        return this;
    }

    public synchronized Optional<CommandDef> find(String name) {
        return Optional.ofNullable(commands.get(name));
    }

    public synchronized List<CommandDef> all() {
        return new ArrayList<>(commands.values());
    }

    synchronized List<String> names() {
        return new ArrayList<>(commands.keySet());
    }

    /**
     * Runs a command for a caller of the given level. The future fails with a {@link CommandException} when the
     * command cannot be carried out (bad arguments, not now).
     *
     * @throws ControlException when the command is unknown or the caller may not run it
     */
    public CompletableFuture<?> run(CommandRequest request, Access caller) {
        CommandDef command = find(request.name()).orElseThrow(() -> ControlException.unknownCommand(request.name(), this));
        if (!caller.allows(command.access())) {
            throw ControlException.notAllowed(command, caller);
        }
        try {
            return command.handler().run(request);
        } catch (CommandException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
