package dev.herd.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code herd} command: entry point of the CLI. Its own model is built through picocli's programmatic API, like
 * {@code herd run}'s ({@link RunOptions} says why); the other subcommands are annotated classes.
 */
public final class HerdCommand implements Runnable {
    private final CommandSpec spec;

    private HerdCommand() {
        spec = CommandSpec.wrapWithoutInspection(this).name("herd").versionProvider(new VersionProvider());
        spec.usageMessage()
                .description("Runs one network service as a pool of worker processes behind one port, and keeps it serving.")
                .footer("", "Exit codes of 'herd run': 0 stopped cleanly, 1 internal error, 2 bad usage,",
                        "3 could not listen or set up, 4 every slot failed, 130 hard stop (second Ctrl-C).",
                        "Other commands: 0 done, 1 the master reports failure, 2 bad usage,",
                        "3 no master answers.");
        RunOptions.addStandardHelpOptions(spec);
    }

    public static void main(String[] args) {
        // picocli looks for Groovy's closure class on the class path (Groovy scripts may give closures as values); Herd
        // gives none, and the failed lookup cost the master's start 5 ms
        if (System.getProperty("picocli.disable.closures") == null) {
            System.setProperty("picocli.disable.closures", "true");
        }
        if (System.getProperty("slf4j.provider") == null) {
            // SLF4J finds its provider without a ServiceLoader scan of every jar on the class path; it reports that
            // on stderr at its INFO level ("Attempting to load provider"), which stays out of the master's output
            System.setProperty("slf4j.provider", MasterLog.class.getName());
            if (System.getProperty("slf4j.internal.verbosity") == null) {
                System.setProperty("slf4j.internal.verbosity", "WARN");
            }
        }
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit code (what {@link #main} exits with). */
    public static int execute(String... args) {
        return commandLine(args).execute(args);
    }

    /**
     * The CLI for these arguments, with its error handling. "herd run ..." needs the run command only; anything else
     * (help, an option, an unknown word) gets them all, so help, suggestions and errors are what they always were.
     */
    static CommandLine commandLine(String... args) {
        String name = args.length == 0 || args[0].equals("help") ? null : args[0];
        if (name != null && name.equals(RunCommand.NAME)) {
            return commandLine(CommandLine.defaultFactory(), name, RunCommand.class); // the master's start: see Subcommands
        }
        Class<?> only = name == null ? null : Subcommands.ALL.get(name);
        return commandLine(CommandLine.defaultFactory(), only == null ? null : name, only);
    }

    /** The CLI with every subcommand and its error handling; the factory makes the subcommands (tests give one). */
    static CommandLine commandLine(CommandLine.IFactory factory) {
        return commandLine(factory, null, null);
    }

    /**
     * @param name the name of the one subcommand to add, or null for all
     * @param only that subcommand's class, or null for all
     */
    private static CommandLine commandLine(CommandLine.IFactory factory, String name, Class<?> only) {
        CommandLine commandLine = new CommandLine(new HerdCommand().spec, factory);
        if (only != null) {
            add(commandLine, factory, name, only);
        } else {
            Subcommands.ALL.forEach((each, type) -> add(commandLine, factory, each, type));
        }
        commandLine.setParameterExceptionHandler(new OneLineErrors());
        commandLine.setExecutionExceptionHandler(new OneLineErrors());
        return commandLine;
    }

    /** Adds a subcommand: the run command with the model it builds itself, the others from their annotations. */
    private static void add(CommandLine commandLine, CommandLine.IFactory factory, String name, Class<?> type) {
        if (type == RunCommand.class) {
            try {
                commandLine.addSubcommand(name, new CommandLine(factory.create(RunCommand.class).spec(), factory));
            } catch (Exception e) {
                throw new CommandLine.InitializationException("cannot create the run command: " + e, e);
            }
        } else {
            commandLine.addSubcommand(name, type);
        }
    }

    /**
     * The subcommands, in the order {@code herd --help} lists them. picocli builds a command's model from its
     * annotations by reflection when the command is added, and the model of all of them was one of the master's
     * largest start-up costs (docs/benchmarks.md, "Master footprint"): a command line naming one of them gets only
     * that one (see {@link #execute}). Their names are read from their annotations, which costs a master 15 ms more:
     * {@code herd run} finds its command by its name's constant and leaves this table unmade.
     */
    static final class Subcommands {
        static final Map<String, Class<?>> ALL = subcommands();

        private Subcommands() {
        }
    }

    private static Map<String, Class<?>> subcommands() {
        Map<String, Class<?>> all = new LinkedHashMap<>();
        all.put(RunCommand.NAME, RunCommand.class);
        for (Class<?> type : new Class<?>[] {ControlCommands.Status.class,
                ControlCommands.Workers.class, ControlCommands.Health.class, ControlCommands.Info.class,
                ControlCommands.Version.class, ControlCommands.Reload.class, ControlCommands.Restart.class,
                ControlCommands.Shutdown.class, ControlCommands.Scale.class, ControlCommands.Upgrade.class,
                ControlCommands.KillRetired.class, ControlCommands.UpgradeMaster.class, ControlCommands.Stop.class, ControlCommands.Exit.class,
                ControlCommands.EcvCommand.class, ControlCommands.Logs.class, ControlCommands.Events.class,
                ControlCommands.Exec.class, TopCommand.class, ConsoleCommand.class, ConfigCommands.Config.class, SystemdUnitCommand.class,
                CommandLine.HelpCommand.class}) {
            all.put(type.getAnnotation(Command.class).name(), type);
        }
        return all;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: try 'herd run --help'");
    }
}
