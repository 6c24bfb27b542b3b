package dev.herd.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code herd} command: entry point of the CLI. */
@Command(name = "herd",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Runs one network service as a pool of worker processes behind one port, and keeps it serving.",
        subcommands = {RunCommand.class, ControlCommands.Status.class, ControlCommands.Workers.class,
                ControlCommands.Health.class, ControlCommands.Info.class, ControlCommands.Version.class,
                ControlCommands.Reload.class, ControlCommands.Restart.class, ControlCommands.Shutdown.class,
                ControlCommands.Scale.class, ControlCommands.Upgrade.class, ControlCommands.KillRetired.class,
                ControlCommands.Stop.class, ControlCommands.Exit.class, ControlCommands.EcvCommand.class,
                ControlCommands.Logs.class, ControlCommands.Events.class, ControlCommands.Exec.class, CommandLine.HelpCommand.class},
        footer = {"", "Exit codes of 'herd run': 0 stopped cleanly, 1 internal error, 2 bad usage,",
                "3 could not listen or set up, 4 every slot failed, 130 hard stop (second Ctrl-C).",
                "Other commands: 0 done, 1 the master reports failure, 2 bad usage,",
                "3 no master answers."})
public final class HerdCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit code (what {@link #main} exits with). */
    public static int execute(String... args) {
        return commandLine(CommandLine.defaultFactory()).execute(args);
    }

    /** The CLI with its error handling; the factory makes the subcommands (tests give one with a recording run). */
    static CommandLine commandLine(CommandLine.IFactory factory) {
        CommandLine commandLine = new CommandLine(new HerdCommand(), factory);
        commandLine.setParameterExceptionHandler(new OneLineErrors());
        commandLine.setExecutionExceptionHandler(new OneLineErrors());
        return commandLine;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: try 'herd run --help'");
    }
}
