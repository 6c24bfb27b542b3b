package dev.herd.cli;

import dev.herd.StartupException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code herd console}: {@link HerdConsole}'s prompt against a running master, over its local socket or --url. */
@Command(name = "console", mixinStandardHelpOptions = true,
        description = {"An interactive prompt for a running master (cluster-service's console): runs its commands as",
                "'herd COMMAND' does (status, workers, reload, restart slot N, logs -f, ...), with history",
                "($HOME/.herd_history) and Tab completion of commands and slots. 'help' lists them; 'exit' or Ctrl-D leaves.",
                "Without a terminal it reads commands from stdin, one per line."})
final class ConsoleCommand implements Callable<Integer> {
    @Mixin MasterConnection master;

    @Override
    public Integer call() {
        master.requireAnswer();
        try (Terminal terminal = TerminalBuilder.builder().system(true).dumb(true).build()) {
            new HerdConsole(terminal, master, connection(master)).run();
        } catch (IOException e) {
            throw new StartupException(StartupException.USAGE, "console cannot use this terminal: " + e.getMessage());
        }
        return 0;
    }

    /** The options that reach this master, for each command the console runs. */
    static List<String> connection(MasterConnection master) {
        List<String> args = new ArrayList<>(List.of("--state-dir", master.stateDirectory().toString()));
        if (master.url != null) {
            args.addAll(List.of("--url", master.url.toString()));
        }
        if (master.key != null) {
            args.addAll(List.of("--key", master.key));
        }
        return args;
    }
}
