package dev.herd.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code herd run}'s settings file ({@code -c FILE}, {@code --config FILE} or {@code $HERD_CONFIG}): a YAML map whose
 * keys are {@code herd run}'s long option names without the dashes ({@code max-memory: 150m}, {@code sticky: true}),
 * plus {@code command:} (the worker program and its arguments, as a list) and {@code version: 1} (the file format).
 *
 * <p>Each setting becomes the command-line words it stands for and is checked by the same picocli model as a flag,
 * so a value means the same in both places; an error names the file, line and column of its key. Flags given on the
 * command line override the file's settings of the same name.
 */
final class ConfigFile {
    static final String ENV = "HERD_CONFIG";
    /** The format this Herd reads ({@code version:}). */
    static final int VERSION = 1;
    /** A file larger than this is not a settings file (one line per option is a few kilobytes). */
    static final int MAX_BYTES = 1 << 20;
    static final String COMMAND = "command";
    static final String FORMAT_VERSION = "version";

    /** One key of the file: the command-line words it stands for, and where it is (1-based). */
    record Setting(String key, List<String> words, int line, int column) {
    }

    private final String name;
    private final Map<String, Setting> settings;
    private final Setting command;

    private ConfigFile(String name, Map<String, Setting> settings, Setting command) {
        this.name = name;
        this.settings = settings;
        this.command = command;
    }

    /** The settings in the file's order ({@code command} and {@code version} apart). */
    List<Setting> settings() {
        return List.copyOf(settings.values());
    }

    /** The worker command the file gives, if any. */
    Optional<List<String>> command() {
        return command == null ? Optional.empty() : Optional.of(command.words());
    }

    /** The file as the user named it. */
    String name() {
        return name;
    }

    /**
     * The message of an error about settings, prefixed with where the first of them is in the file when the message
     * is about one of {@code applied} (it names them first, {@code max-memory: ...} or {@code balance/proxy-protocol:
     * ...}); unchanged otherwise.
     */
    String locate(String message, java.util.Collection<String> applied) {
        int colon = message.indexOf(':');
        if (colon <= 0) {
            return message;
        }
        for (String key : message.substring(0, colon).split("/")) {
            Setting setting = key.equals(COMMAND) ? command : settings.get(key);
            if (setting != null && applied.contains(key)) {
                return where(setting) + message;
            }
        }
        return message;
    }

    private String where(Setting setting) {
        return name + ":" + setting.line() + ":" + setting.column() + ": ";
    }

    /** Reads and checks the file against {@code herd run}'s options ({@code spec}). */
    static ConfigFile load(Path path, CommandSpec spec) throws Invalid {
        String name = path.toString();
        byte[] bytes;
        try {
            if (Files.isDirectory(path)) {
                throw new Invalid(name + ": is a directory; give the settings file (herd config init writes one)");
            }
            dev.herd.os.PrivatePaths.settingsFile(path, "config");
            if (Files.size(path) > MAX_BYTES) {
                throw new Invalid(name + ": larger than " + MAX_BYTES / 1024 + " KiB; a settings file is a few lines");
            }
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new Invalid(name + ": no such file (herd config init writes an example)");
        } catch (dev.herd.os.UnsafePathException e) {
            throw new Invalid(e.getMessage());
        } catch (IOException e) {
            throw new Invalid(name + ": cannot read it (" + e.getClass().getSimpleName() + " " + e.getMessage() + ")");
        }
        Map<String, OptionSpec> options = options(spec);
        Map<String, Setting> settings = new LinkedHashMap<>();
        Setting command = null;
        Reader reader = new Reader(name);
        try (JsonParser p = new YAMLFactory().createParser(bytes)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                return new ConfigFile(name, settings, null); // an empty file sets nothing
            }
            if (first != JsonToken.START_OBJECT) {
                throw reader.at(p, "the file must be a map of settings, one 'key: value' per line (herd config init writes an example)");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                JsonLocation at = p.currentTokenLocation();
                Setting earlier = key.equals(COMMAND) ? command : settings.get(key);
                if (earlier != null) {
                    throw reader.at(at, key + ": given twice (first at line " + earlier.line() + ")");
                }
                p.nextToken();
                if (key.equals(COMMAND)) {
                    command = new Setting(key, reader.words(p, key), at.getLineNr(), at.getColumnNr());
                } else if (key.equals(FORMAT_VERSION)) {
                    reader.checkVersion(p, key);
                } else {
                    OptionSpec option = options.get(key);
                    if (option == null) {
                        throw reader.at(at, key + ": unknown setting" + suggestion(key, options.keySet()));
                    }
                    settings.put(key, new Setting(key, reader.value(p, key, option), at.getLineNr(), at.getColumnNr()));
                }
            }
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            // SnakeYAML's message: what it was doing, where, a picture of the line, what it found; the words only
            String problem = String.join("; ", e.getOriginalMessage().lines()
                    .filter(line -> !line.isBlank() && !Character.isWhitespace(line.charAt(0))).toList());
            throw new Invalid(at == null ? name + ": " + problem : reader.where(at) + "not valid YAML: " + problem);
        } catch (IOException e) {
            throw new Invalid(name + ": cannot read it (" + e.getMessage() + ")");
        }
        ConfigFile file = new ConfigFile(name, settings, command);
        file.check(spec);
        return file;
    }

    /** Each setting parsed alone by {@code herd run}'s model: a bad value is reported at its key. */
    private void check(CommandSpec spec) throws Invalid {
        for (Setting setting : settings.values()) {
            if (setting.words().isEmpty()) {
                continue; // a flag set to false
            }
            CommandLine alone = new CommandLine(new RunOptions(new Object()).spec);
            try {
                alone.parseArgs(setting.words().toArray(String[]::new));
            } catch (CommandLine.ParameterException e) {
                String message = e.getMessage();
                String prefix = "Invalid value for option '--" + setting.key() + "': ";
                throw new Invalid(where(setting) + setting.key() + ": "
                        + (message.startsWith(prefix) ? message.substring(prefix.length()) : message));
            }
        }
    }

    /** {@code herd run}'s options by the keys that name them: long names without the dashes. */
    static Map<String, OptionSpec> options(CommandSpec spec) {
        Map<String, OptionSpec> byKey = new LinkedHashMap<>();
        for (OptionSpec option : spec.options()) {
            if (option.usageHelp() || option.versionHelp() || option.longestName().equals("--config")) {
                continue;
            }
            byKey.put(option.longestName().substring(2), option);
        }
        return byKey;
    }

    /** "; did you mean 'max-memory'?" for a key a typo away from a known one. */
    static String suggestion(String key, java.util.Collection<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int d = distance(key, candidate);
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        if (best != null && bestDistance <= Math.max(2, key.length() / 3)) {
            return "; did you mean '" + best + "'?";
        }
        return "; the keys are herd run's options without '--' (herd config init lists them all)";
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /** The file's values as command-line words, with errors at their place. */
    private record Reader(String name) {
        Invalid at(JsonParser p, String message) {
            return at(p.currentTokenLocation(), message);
        }

        Invalid at(JsonLocation location, String message) {
            return new Invalid(where(location) + message);
        }

        String where(JsonLocation location) {
            return name + ":" + location.getLineNr() + ":" + location.getColumnNr() + ": ";
        }

        List<String> value(JsonParser p, String key, OptionSpec option) throws IOException, Invalid {
            JsonToken token = p.currentToken();
            boolean flag = option.type() == boolean.class || option.type() == Boolean.class;
            if (flag) {
                if (token == JsonToken.VALUE_TRUE) {
                    return List.of(option.longestName());
                }
                if (token == JsonToken.VALUE_FALSE) {
                    return List.of();
                }
                throw at(p, key + ": '" + text(p) + "' must be true or false");
            }
            return List.of(option.longestName(), scalar(p, key));
        }

        List<String> words(JsonParser p, String key) throws IOException, Invalid {
            if (p.currentToken() != JsonToken.START_ARRAY) {
                throw at(p, key + ": give the program and its arguments as a list, e.g. command: [java, -jar, app.jar]");
            }
            List<String> words = new ArrayList<>();
            while (p.nextToken() != JsonToken.END_ARRAY) {
                words.add(scalar(p, key));
            }
            if (words.isEmpty()) {
                throw at(p, key + ": the list is empty; give the worker program, or leave command out to run the demo");
            }
            return words;
        }

        void checkVersion(JsonParser p, String key) throws IOException, Invalid {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT || p.getIntValue() != VERSION) {
                throw at(p, key + ": '" + text(p) + "' is a settings file for another Herd; this one reads version "
                        + VERSION);
            }
        }

        /** A string, number or boolean as its text; a list, map or nothing is refused. */
        private String scalar(JsonParser p, String key) throws IOException, Invalid {
            JsonToken token = p.currentToken();
            if (token == null) {
                throw at(p, key + ": the file ends here");
            }
            if (token == JsonToken.VALUE_NULL) {
                throw at(p, key + ": has no value; give one, or leave the key out for the default");
            }
            if (token == JsonToken.START_ARRAY || token == JsonToken.START_OBJECT) {
                throw at(p, key + ": takes one value, not a " + (token == JsonToken.START_ARRAY ? "list" : "map"));
            }
            return p.getText();
        }

        private static String text(JsonParser p) throws IOException {
            JsonToken token = p.currentToken();
            return token == JsonToken.START_ARRAY ? "[...]" : token == JsonToken.START_OBJECT ? "{...}"
                    : token == JsonToken.VALUE_NULL ? "" : p.getText();
        }
    }

    /** The file cannot be used; the message names the file, line and column, and what to do. */
    static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message);
        }
    }
}
