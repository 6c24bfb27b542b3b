package dev.herd.cli;

import dev.herd.ConfigException;
import dev.herd.SettingsFile;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code herd run}'s settings file ({@code -c FILE}, {@code --config FILE} or {@code $HERD_CONFIG}), read by
 * {@link SettingsFile} (its form: keys, one value each, the format's version). Each setting becomes the command-line
 * words it stands for and is checked by the same picocli model as the flag, so a value means the same in both places;
 * an error names the file, line and column of its key.
 */
final class ConfigFile {
    static final String ENV = SettingsFile.ENV;
    static final int MAX_BYTES = SettingsFile.MAX_BYTES;
    static final String COMMAND = SettingsFile.COMMAND;
    static final String FORMAT_VERSION = SettingsFile.FORMAT_VERSION;
    static final int VERSION = SettingsFile.VERSION;

    /** One setting of the file and the words it stands for. */
    record Setting(String key, List<String> words) {
    }

    private final SettingsFile file;
    private final List<Setting> settings;

    private ConfigFile(SettingsFile file, List<Setting> settings) {
        this.file = file;
        this.settings = settings;
    }

    List<Setting> settings() {
        return settings;
    }

    Optional<List<String>> command() {
        return file.command();
    }

    String locate(String message, Collection<String> applied) {
        return file.locate(message, applied);
    }

    /** Reads the file and checks each value against {@code herd run}'s options ({@code spec}). */
    static ConfigFile load(Path path, CommandSpec spec) throws Invalid {
        SettingsFile file;
        try {
            file = SettingsFile.read(path);
        } catch (ConfigException e) {
            throw new Invalid(e.getMessage());
        }
        Map<String, OptionSpec> options = options(spec);
        CommandLine parser = new CommandLine(spec); // each parse starts from the defaults again
        List<Setting> settings = new ArrayList<>();
        for (SettingsFile.Setting setting : file.settings()) {
            OptionSpec option = options.get(setting.key());
            if (option == null) { // SettingsFile knows the key, this herd run does not: ConfigFileTest keeps them equal
                throw new Invalid(file.where(setting) + setting.key() + ": unknown setting");
            }
            List<String> words = words(file, setting, option);
            check(parser, file, setting, words);
            settings.add(new Setting(setting.key(), words));
        }
        return new ConfigFile(file, List.copyOf(settings));
    }

    private static List<String> words(SettingsFile file, SettingsFile.Setting setting, OptionSpec option) throws Invalid {
        if (setting.key().equals(SettingsFile.ENV_KEY)) {
            List<String> words = new ArrayList<>();
            file.env().forEach((name, value) -> words.addAll(List.of(option.longestName(), name + "=" + value)));
            return words;
        }
        if (option.type() == boolean.class || option.type() == Boolean.class) {
            return switch (setting.value()) {
                case "true" -> List.of(option.longestName());
                case "false" -> List.of();
                default -> throw new Invalid(file.where(setting) + setting.key() + ": '" + setting.value()
                        + "' must be true or false");
            };
        }
        return List.of(option.longestName(), setting.value());
    }

    /** The setting parsed alone by {@code herd run}'s model: a bad value is reported at its key. */
    private static void check(CommandLine parser, SettingsFile file, SettingsFile.Setting setting, List<String> words)
            throws Invalid {
        if (words.isEmpty()) {
            return; // a flag set to false
        }
        try {
            parser.parseArgs(words.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            String message = e.getMessage();
            String prefix = "Invalid value for option '--" + setting.key() + "': ";
            throw new Invalid(file.where(setting) + setting.key() + ": "
                    + (message.startsWith(prefix) ? message.substring(prefix.length()) : message));
        }
    }

    /** {@code herd run}'s options by the keys that name them: long names without the dashes. */
    static Map<String, OptionSpec> options(CommandSpec spec) {
        Map<String, OptionSpec> byKey = new LinkedHashMap<>();
        for (OptionSpec option : spec.options()) {
            // --console: a prompt for the person at the terminal, not a setting of the service
            if (option.usageHelp() || option.versionHelp() || option.longestName().equals("--config")
                    || option.longestName().equals("--console")) {
                continue;
            }
            byKey.put(option.longestName().substring(2), option);
        }
        return byKey;
    }

    /** The file cannot be used; the message names the file, line and column, and what to do. */
    static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message);
        }
    }
}
