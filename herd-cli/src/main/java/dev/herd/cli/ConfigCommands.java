package dev.herd.cli;

import dev.herd.StartupException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/** {@code herd config}: {@code check} a settings file as {@code herd run} would, {@code init} one with every key. */
final class ConfigCommands {
    private ConfigCommands() {
    }

    @Command(name = "config", description = "Settings files for 'herd run -c FILE': check one, or write an example.",
            subcommands = {Check.class, Init.class, CommandLine.HelpCommand.class}, mixinStandardHelpOptions = true)
    static final class Config implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "missing subcommand: check FILE or init [FILE]");
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Checks a settings file as 'herd run -c FILE' would (each value, and the rules between"
                    + " them) without starting anything, then prints the settings herd run would use: the file's, and"
                    + " the defaults for the rest.", "Exit code 0: the file is good; 2: it is not (one line says where"
                    + " and why)."})
    static final class Check implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "The settings file.")
        Path file;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            RunConfig config;
            RunOptions probe = new RunOptions(new Object());
            try {
                config = RunConfig.apply(file, new CommandLine(probe.spec).parseArgs(), List.of());
            } catch (ConfigFile.Invalid e) {
                throw new StartupException(StartupException.USAGE, e.getMessage());
            }
            RunCommand run = RunCommand.withConfig((clusterSpec, listeners) -> 0, config);
            new CommandLine(run.spec()).parseArgs(config.args().toArray(String[]::new));
            run.call(); // every rule herd run checks before it starts; refusals say where in the file
            PrintWriter out = spec.commandLine().getOut();
            out.println("# the settings 'herd run -c " + file + "' uses: from " + file + " where it says so, else the default");
            for (Map.Entry<String, OptionSpec> entry : ConfigFile.options(run.spec()).entrySet()) {
                String key = entry.getKey();
                Object value = entry.getValue().getValue();
                String origin = config.applied().contains(key) ? file.toString() : "default";
                if (value == null) {
                    out.println("# " + key + ": not set");
                } else {
                    out.println(key + ": " + render(entry.getValue(), value) + "   # " + origin);
                }
            }
            List<String> command = run.command();
            if (command.isEmpty()) {
                out.println("# command: the bundled demo worker");
            } else {
                out.println(ConfigFile.COMMAND + ": [" + String.join(", ", command.stream().map(ConfigCommands::yaml).toList())
                        + "]   # " + (config.applied().contains(ConfigFile.COMMAND) ? file : "command line"));
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = {"Writes an example settings file with every key of 'herd run', each with its description"
                    + " and default, commented out: to standard output, or to FILE (never over an existing one)."})
    static final class Init implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", arity = "0..1", description = "Where to write it. Default: standard output.")
        Path file;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            String text = example();
            if (file == null) {
                spec.commandLine().getOut().print(text);
                spec.commandLine().getOut().flush();
                return 0;
            }
            try {
                Files.writeString(file, text, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                throw new StartupException(StartupException.USAGE, "config init: " + file
                        + " exists; remove it or name another file");
            } catch (IOException e) {
                throw new StartupException(StartupException.USAGE, "config init: cannot write " + file + " ("
                        + e.getClass().getSimpleName() + " " + e.getMessage() + ")");
            }
            spec.commandLine().getOut().println("wrote " + file + "; start with: herd run -c " + file);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    /** Every key of {@code herd run} with its description and default, commented out, from the options' model. */
    static String example() {
        StringBuilder b = new StringBuilder();
        b.append("# Herd settings for 'herd run -c FILE' (or HERD_CONFIG=FILE herd run). The keys are herd run's\n")
                .append("# options without '--'; an option given on the command line overrides the file's.\n")
                .append("# 'herd config check FILE' checks a file and prints what herd run would use.\n")
                .append(ConfigFile.FORMAT_VERSION).append(": ").append(ConfigFile.VERSION).append('\n');
        for (Map.Entry<String, OptionSpec> entry : ConfigFile.options(new RunOptions(new Object()).spec).entrySet()) {
            OptionSpec option = entry.getValue();
            String description = String.join(" ", option.description());
            String defaultValue = option.defaultValue();
            description = description.replace("${DEFAULT-VALUE}", defaultValue == null ? "" : defaultValue);
            b.append('\n');
            wrap(description, b);
            boolean flag = option.type() == boolean.class || option.type() == Boolean.class;
            String example = flag ? "true" : defaultValue != null ? yaml(defaultValue)
                    : option.type() == Map.class ? "{NAME: value, OTHER: value}" // env: a map in the file
                    : option.longestName().equals("--umask") ? "'027'" // quoted: YAML could read 027 as a number
                    : option.paramLabel();
            b.append("# ").append(entry.getKey()).append(": ").append(example).append('\n');
        }
        b.append("\n# The worker program and its arguments (herd run's COMMAND after '--'). Default: the bundled demo.\n")
                .append("# ").append(ConfigFile.COMMAND).append(": [java, -jar, app.jar]\n");
        return b.toString();
    }

    private static void wrap(String text, StringBuilder b) {
        StringBuilder line = new StringBuilder("#");
        for (String word : text.split(" ")) {
            if (line.length() + 1 + word.length() > 100 && line.length() > 1) {
                b.append(line).append('\n');
                line = new StringBuilder("#");
            }
            line.append(' ').append(word);
        }
        b.append(line).append('\n');
    }

    /** An option's value as the file would give it: a map for env, a quoted octal umask, else a scalar. */
    private static String render(OptionSpec option, Object value) {
        if (value instanceof Map<?, ?> variables) {
            return "{" + String.join(", ", variables.entrySet().stream()
                    .map(e -> e.getKey() + ": " + yaml(String.valueOf(e.getValue()))).toList()) + "}";
        }
        if (option.longestName().equals("--umask") && value instanceof Integer umask) {
            return "'" + String.format("%03o", umask) + "'"; // quoted: YAML could read a bare 027 as a number
        }
        return yaml(show(option, value));
    }

    /** An option's value as a flag would give it. */
    private static String show(OptionSpec option, Object value) {
        if (value instanceof Duration d) {
            return dev.herd.Durations.format(d);
        }
        if (value instanceof Long bytes && option.paramLabel().equals("SIZE")) {
            return dev.herd.Sizes.format(bytes);
        }
        if (value instanceof Enum<?> label) {
            return dev.herd.EnumLabels.label(label);
        }
        return String.valueOf(value);
    }

    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9._/+=-]+");

    /** A YAML scalar: as it is when plain, else single-quoted. */
    static String yaml(String value) {
        return PLAIN.matcher(value).matches() ? value : "'" + value.replace("'", "''") + "'";
    }
}
