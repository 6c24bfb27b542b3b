package dev.herd.cli;

import picocli.CommandLine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A settings file applied to {@code herd run}'s command line: the file's settings become options placed before the
 * command line's, leaving out those the command line gives itself (flags override the file), and the file's
 * {@code command} goes after {@code --} when the command line has none.
 *
 * @param args    {@code herd run}'s arguments with the file's settings in them
 * @param file    the file
 * @param applied the keys whose values came from the file ({@code command} included when it did)
 */
record RunConfig(List<String> args, ConfigFile file, Set<String> applied) {

    /** The file {@code --config} names, else {@code $HERD_CONFIG}, else null. */
    static Path path(Path option, Map<String, String> env) {
        if (option != null) {
            return option;
        }
        String fromEnv = env.get(ConfigFile.ENV);
        return fromEnv == null || fromEnv.isBlank() ? null : Path.of(fromEnv.trim());
    }

    /**
     * @param cli  the command line as parsed (its matched options win over the file)
     * @param args the same command line's arguments after {@code run}
     */
    static RunConfig apply(Path path, CommandLine.ParseResult cli, List<String> args) throws ConfigFile.Invalid {
        ConfigFile file = ConfigFile.load(path, new RunOptions(new Object()).spec);
        List<String> merged = new ArrayList<>();
        Set<String> applied = new LinkedHashSet<>();
        for (ConfigFile.Setting setting : file.settings()) {
            if (!cli.hasMatchedOption("--" + setting.key())) {
                merged.addAll(setting.words());
                applied.add(setting.key());
            }
        }
        merged.addAll(args);
        if (file.command().isPresent() && !args.contains("--")) {
            merged.add("--");
            merged.addAll(file.command().get());
            applied.add(ConfigFile.COMMAND);
        }
        return new RunConfig(List.copyOf(merged), file, Set.copyOf(applied));
    }

    /** An error message about settings, with the file, line and column in front when it is about one from the file. */
    String locate(String message) {
        return file.locate(message, applied);
    }
}
