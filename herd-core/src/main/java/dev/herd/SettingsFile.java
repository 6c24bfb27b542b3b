package dev.herd;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * A Herd settings file: YAML whose keys are {@code herd run}'s long option names without the dashes
 * ({@code max-memory: 150m}, {@code sticky: true}), plus {@code command:} (the worker program and its arguments, as a
 * list) and {@code version: 1} (the file format). {@code herd run -c FILE} reads it, and so does a library-mode
 * cluster: {@code ClusterSpec.builder().settings(Path.of("herd.yaml"))}, or
 * {@code Herd.cluster().spec(b -> b.settings(file))}. Every error names the file, line and column and what is wrong.
 *
 * <p>Whoever can write the file chooses the command the master runs, so it must be a regular file (a link is
 * followed) owned by this user or root and writable by nobody else; at most {@value #MAX_BYTES} bytes.
 */
public final class SettingsFile {
    /** The environment variable {@code herd run} reads the file's path from when no {@code -c} is given. */
    public static final String ENV = "HERD_CONFIG";
    /** The format this Herd reads ({@code version:}). */
    public static final int VERSION = 1;
    public static final int MAX_BYTES = 1 << 20;
    public static final String COMMAND = "command";
    public static final String FORMAT_VERSION = "version";
    /** The one setting that is a map: {@code env: {NAME: value, ...}}, as {@code --env NAME=value} repeated. */
    public static final String ENV_KEY = "env";

    /**
     * One key of the file, where it is (1-based), and its value as written: a YAML boolean is {@code true} or
     * {@code false}, a number its digits.
     */
    public record Setting(String key, String value, int line, int column) {
    }

    private final String name;
    private final Map<String, Setting> settings;
    private final List<String> command;
    private final Setting commandAt;
    private final Map<String, String> env;

    private SettingsFile(String name, Map<String, Setting> settings, List<String> command, Setting commandAt,
                         Map<String, String> env) {
        this.name = name;
        this.settings = settings;
        this.command = command;
        this.commandAt = commandAt;
        this.env = env;
    }

    /** The keys a file may hold besides {@code command} and {@code version}: {@code herd run}'s options. */
    public static Set<String> keys() {
        return KEYS.keySet();
    }

    /** The settings in the file's order ({@code command} and {@code version} apart). */
    public List<Setting> settings() {
        return List.copyOf(settings.values());
    }

    /** The {@code env:} map: variables for every worker, in the file's order (empty when none). */
    public Map<String, String> env() {
        return env;
    }

    /** The worker command the file gives, if any. */
    public Optional<List<String>> command() {
        return Optional.ofNullable(command);
    }

    /** The file as it was named. */
    public String name() {
        return name;
    }

    /** {@code FILE:LINE:COLUMN: } of a setting. */
    public String where(Setting setting) {
        return name + ":" + setting.line() + ":" + setting.column() + ": ";
    }

    /**
     * The message of an error about settings with where the first of them is in the file in front, when it is one of
     * {@code applied} (the messages name their settings first: {@code max-memory: ...}, {@code
     * balance/proxy-protocol: ...}); else the message as it is.
     */
    public String locate(String message, Collection<String> applied) {
        int colon = message.indexOf(':');
        if (colon <= 0) {
            return message;
        }
        for (String key : message.substring(0, colon).split("/")) {
            Setting setting = key.equals(COMMAND) ? commandAt : settings.get(key);
            if (setting != null && applied.contains(key)) {
                return where(setting) + message;
            }
        }
        return message;
    }

    /**
     * Reads and checks the file's form: a map, known keys, one value each (a list for {@code command}), this format.
     * The values are checked where they are used.
     *
     * @throws ConfigException naming the file, line and column and what to do
     */
    public static SettingsFile read(Path path) {
        String name = path.toString();
        byte[] bytes;
        try {
            if (Files.isDirectory(path)) {
                throw new ConfigException(name + ": is a directory; give the settings file (herd config init writes one)");
            }
            dev.herd.os.PrivatePaths.settingsFile(path, "config");
            if (Files.size(path) > MAX_BYTES) {
                throw new ConfigException(name + ": larger than " + MAX_BYTES / 1024 + " KiB; a settings file is a few lines");
            }
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new ConfigException(name + ": no such file (herd config init writes an example)");
        } catch (dev.herd.os.UnsafePathException e) {
            throw new ConfigException(e.getMessage());
        } catch (IOException e) {
            throw new ConfigException(name + ": cannot read it (" + e.getClass().getSimpleName() + " " + e.getMessage() + ")");
        }
        return parse(name, bytes);
    }

    private static SettingsFile parse(String name, byte[] bytes) {
        Map<String, Setting> settings = new LinkedHashMap<>();
        List<String> command = null;
        Setting commandAt = null;
        Map<String, String> env = Map.of();
        Place place = new Place(name);
        try (JsonParser p = new YAMLFactory().createParser(bytes)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                return new SettingsFile(name, settings, null, null, env); // an empty file sets nothing
            }
            if (first != JsonToken.START_OBJECT) {
                throw place.at(p.currentTokenLocation(), "the file must be a map of settings, one 'key: value' per line"
                        + " (herd config init writes an example)");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                JsonLocation at = p.currentTokenLocation();
                Setting earlier = key.equals(COMMAND) ? commandAt : settings.get(key);
                if (earlier != null) {
                    throw place.at(at, key + ": given twice (first at line " + earlier.line() + ")");
                }
                p.nextToken();
                if (key.equals(COMMAND)) {
                    command = place.list(p, key);
                    commandAt = new Setting(key, String.join(" ", command), at.getLineNr(), at.getColumnNr());
                } else if (key.equals(FORMAT_VERSION)) {
                    if (p.currentToken() != JsonToken.VALUE_NUMBER_INT || p.getIntValue() != VERSION) {
                        throw place.at(p.currentTokenLocation(), key + ": '" + Place.text(p)
                                + "' is a settings file for another Herd; this one reads version " + VERSION);
                    }
                } else if (key.equals(ENV_KEY)) {
                    env = place.variables(p, key);
                    settings.put(key, new Setting(key, String.join(" ", env.entrySet().stream()
                            .map(e -> e.getKey() + "=" + e.getValue()).toList()), at.getLineNr(), at.getColumnNr()));
                } else if (!KEYS.containsKey(key)) {
                    throw place.at(at, key + ": unknown setting" + suggestion(key));
                } else {
                    settings.put(key, new Setting(key, place.scalar(p, key), at.getLineNr(), at.getColumnNr()));
                }
            }
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            // SnakeYAML's message: what it was doing, where, a picture of the line, what it found; the words only
            String problem = String.join("; ", e.getOriginalMessage().lines()
                    .filter(line -> !line.isBlank() && !Character.isWhitespace(line.charAt(0))).toList());
            throw at == null ? new ConfigException(name + ": not valid YAML: " + problem)
                    : place.at(at, "not valid YAML: " + problem);
        } catch (IOException e) {
            throw new ConfigException(name + ": cannot read it (" + e.getMessage() + ")");
        }
        return new SettingsFile(name, settings, command, commandAt, env);
    }

    /** "; did you mean 'max-memory'?" for a key a typo away from a known one. */
    private static String suggestion(String key) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : KEYS.keySet()) {
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

    /** Where the parser is, for the errors. */
    private record Place(String name) {
        ConfigException at(JsonLocation location, String message) {
            return new ConfigException(name + ":" + location.getLineNr() + ":" + location.getColumnNr() + ": " + message);
        }

        List<String> list(JsonParser p, String key) throws IOException {
            if (p.currentToken() != JsonToken.START_ARRAY) {
                throw at(p.currentTokenLocation(), key + ": give the program and its arguments as a list, e.g."
                        + " command: [java, -jar, app.jar]");
            }
            List<String> words = new ArrayList<>();
            while (p.nextToken() != JsonToken.END_ARRAY) {
                words.add(scalar(p, key));
            }
            if (words.isEmpty()) {
                throw at(p.currentTokenLocation(), key + ": the list is empty; give the worker program, or leave"
                        + " command out to run the demo");
            }
            return List.copyOf(words);
        }

        /** A map of variable names to scalar values. */
        Map<String, String> variables(JsonParser p, String key) throws IOException {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw at(p.currentTokenLocation(), key + ": give the variables as a map, one 'NAME: value' per line"
                        + " under it");
            }
            Map<String, String> variables = new LinkedHashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String variable = p.currentName();
                JsonLocation at = p.currentTokenLocation();
                if (!ProcessSettings.validName(variable)) {
                    throw at(at, key + ": '" + variable + "' is not a variable name (letters, digits and '_', not"
                            + " starting with a digit)");
                }
                if (variables.containsKey(variable)) {
                    throw at(at, key + ": " + variable + " given twice");
                }
                p.nextToken();
                variables.put(variable, scalar(p, key + "." + variable));
            }
            return variables;
        }

        /** A string, number or boolean as its text; a list, map or nothing is refused. */
        String scalar(JsonParser p, String key) throws IOException {
            JsonToken token = p.currentToken();
            if (token == null) {
                throw at(p.currentTokenLocation(), key + ": the file ends here");
            }
            if (token == JsonToken.VALUE_NULL) {
                throw at(p.currentTokenLocation(), key + ": has no value; give one, or leave the key out for the default");
            }
            if (token == JsonToken.START_ARRAY || token == JsonToken.START_OBJECT) {
                throw at(p.currentTokenLocation(), key + ": takes one value, not a "
                        + (token == JsonToken.START_ARRAY ? "list" : "map"));
            }
            return p.getText();
        }

        static String text(JsonParser p) throws IOException {
            JsonToken token = p.currentToken();
            return token == JsonToken.START_ARRAY ? "[...]" : token == JsonToken.START_OBJECT ? "{...}"
                    : token == JsonToken.VALUE_NULL ? "" : p.getText();
        }
    }

    // ---- the library's way in: the same keys onto a ClusterSpec.Builder ----

    /**
     * Sets every setting the file gives on {@code builder} (the API and recycling groups as a whole, from their
     * defaults, when the file names any of theirs), and its command.
     *
     * @throws ConfigException naming the file, line and column of a value that is not valid
     */
    void applyTo(ClusterSpec.Builder builder) {
        Target target = new Target(builder);
        for (Setting setting : settings.values()) {
            try {
                if (setting.key().equals(ENV_KEY)) {
                    builder.env(env);
                    continue;
                }
                KEYS.get(setting.key()).accept(target, setting.value());
            } catch (IllegalArgumentException e) {
                throw new ConfigException(where(setting) + setting.key() + ": " + e.getMessage());
            }
        }
        if (command != null) {
            builder.command(command);
        }
        target.finish();
    }

    /** What the settings go to: the builder, and the two groups it takes whole. */
    private static final class Target {
        final ClusterSpec.Builder builder;
        Recycling.Builder recycling;
        ApiSpec api;

        Target(ClusterSpec.Builder builder) {
            this.builder = builder;
        }

        Recycling.Builder recycling() {
            if (recycling == null) {
                recycling = Recycling.builder();
            }
            return recycling;
        }

        void api(java.util.function.UnaryOperator<ApiSpec> change) {
            api = change.apply(api == null ? ApiSpec.defaults() : api);
        }

        void finish() {
            if (recycling != null) {
                builder.recycling(recycling.build());
            }
            if (api != null) {
                builder.api(api);
            }
        }
    }

    private static final Map<String, BiConsumer<Target, String>> KEYS = keys(Map.ofEntries(
            key("workers", (t, v) -> t.builder.workers(v.equalsIgnoreCase("auto")
                    ? Runtime.getRuntime().availableProcessors() : integer(v, "a number of workers; use a whole number or 'auto'"))),
            key("port", (t, v) -> t.builder.port(integer(v, "an int"))),
            key("host", (t, v) -> t.builder.host(v)),
            key("mode", (t, v) -> t.builder.mode(ListenMode.parse(v))),
            key("sticky", (t, v) -> t.builder.sticky(flag(v))),
            key("takeover", (t, v) -> t.builder.takeover(flag(v))),
            key("balance", (t, v) -> t.builder.balance(Balance.parse(v))),
            key("proxy-protocol", (t, v) -> t.builder.proxyHeader(ProxyHeader.parse(v))),
            key("idle-timeout", (t, v) -> t.builder.idleTimeout(Durations.parse(v))),
            key("backlog", (t, v) -> t.builder.backlog(integer(v, "an int"))),
            key("socket-fd", (t, v) -> t.builder.socketFd(integer(v, "an int"))),
            key("ready-when", (t, v) -> t.builder.readyWhen(ReadyWhen.parse(v))),
            key("start-timeout", (t, v) -> t.builder.startTimeout(Durations.parse(v))),
            key("restart-delay", (t, v) -> t.builder.restartDelay(Durations.parse(v))),
            key("max-restart-delay", (t, v) -> t.builder.maxRestartDelay(Durations.parse(v))),
            key("max-restarts-per-minute", (t, v) -> t.builder.maxRestartsPerMinute(integer(v, "an int"))),
            key("max-failed-starts", (t, v) -> t.builder.maxFailedStarts(integer(v, "an int"))),
            key("drain-timeout", (t, v) -> t.builder.drainTimeout(Durations.parse(v))),
            key("reload-batch", (t, v) -> t.builder.reloadBatch(integer(v, "an int"))),
            key("canary-seconds", (t, v) -> t.builder.canaryPeriod(Duration.ofSeconds(integer(v, "an int")))),
            key("retired-nice", (t, v) -> t.builder.retiredNice(integer(v, "an int"))),
            key("max-memory", (t, v) -> t.recycling().maxMemory(Sizes.parse(v))),
            key("max-memory-hard", (t, v) -> t.recycling().maxMemoryHard(Sizes.parse(v))),
            key("max-requests", (t, v) -> t.recycling().maxRequests(longValue(v))),
            key("max-connections", (t, v) -> t.recycling().maxConnections(longValue(v))),
            key("max-jitter", (t, v) -> t.recycling().maxJitter(longValue(v))),
            key("max-uptime", (t, v) -> t.recycling().maxUptime(Durations.parse(v))),
            key("max-uptime-jitter", (t, v) -> t.recycling().uptimeJitter(Durations.parse(v))),
            key("cluster-memory-high", (t, v) -> t.recycling().clusterMemoryHigh(Sizes.parse(v))),
            key("cluster-memory-low", (t, v) -> t.recycling().clusterMemoryLow(Sizes.parse(v))),
            key("overload-recycle", (t, v) -> t.recycling().overloadRecycle(Durations.parse(v))),
            key("reload-at", (t, v) -> t.recycling().reloadAt(v)),
            key("state-dir", (t, v) -> t.builder.stateDir(Path.of(v))),
            key("log-dir", (t, v) -> t.builder.logDir(Path.of(v))),
            key("watchdog-timeout", (t, v) -> t.builder.watchdogTimeout(Durations.parse(v))),
            key("log-max-size", (t, v) -> t.builder.logMaxBytes(Sizes.parse(v))),
            key("log-keep", (t, v) -> t.builder.logKeep(integer(v, "an int"))),
            key("log-to", (t, v) -> t.builder.logToStdout(switch (v) {
                case "stdout" -> true;
                case "files" -> false;
                default -> throw new IllegalArgumentException("'" + v + "' is not a place for worker output; give files or stdout");
            })),
            key("log-format", (t, v) -> { }), // herd run's own log lines; a library-mode service logs through its SLF4J backend
            key("user", (t, v) -> t.builder.user(v)),
            key("group", (t, v) -> t.builder.group(v)),
            key("chdir", (t, v) -> t.builder.workingDirectory(Path.of(v))),
            key(ENV_KEY, (t, v) -> { }), // a map, applied apart in applyTo
            key("env-file", (t, v) -> t.builder.envFile(Path.of(v))),
            key("umask", (t, v) -> t.builder.umask(ProcessSettings.parseUmask(v))),
            key("nofile", (t, v) -> t.builder.openFiles(longValue(v))),
            key("api-host", (t, v) -> t.api(a -> new ApiSpec(a.enabled(), v, a.port(), a.accessKey(), a.allowGet(), a.ecvMonitor()))),
            key("api-port", (t, v) -> t.api(a -> new ApiSpec(a.enabled(), a.host(), integer(v, "an int"), a.accessKey(), a.allowGet(), a.ecvMonitor()))),
            key("no-api", (t, v) -> t.api(a -> new ApiSpec(!flag(v), a.host(), a.port(), a.accessKey(), a.allowGet(), a.ecvMonitor()))),
            key("access-key-file", (t, v) -> t.api(a -> new ApiSpec(a.enabled(), a.host(), a.port(), accessKey(Path.of(v)), a.allowGet(), a.ecvMonitor()))),
            key("api-allow-get", (t, v) -> t.api(a -> new ApiSpec(a.enabled(), a.host(), a.port(), a.accessKey(), flag(v), a.ecvMonitor()))),
            key("ecv-monitor", (t, v) -> t.api(a -> new ApiSpec(a.enabled(), a.host(), a.port(), a.accessKey(), a.allowGet(), v)))));

    private static Map.Entry<String, BiConsumer<Target, String>> key(String name, BiConsumer<Target, String> apply) {
        return Map.entry(name, apply);
    }

    /** The table in name order, for listings. */
    private static Map<String, BiConsumer<Target, String>> keys(Map<String, BiConsumer<Target, String>> table) {
        return java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(table));
    }

    private static int integer(String value, String what) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not " + what);
        }
    }

    private static long longValue(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not a long");
        }
    }

    private static boolean flag(String value) {
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("'" + value + "' must be true or false");
        };
    }

    private static String accessKey(Path file) {
        try {
            return dev.herd.os.PrivatePaths.readSecret(file.toAbsolutePath(), "access-key-file").trim();
        } catch (dev.herd.os.UnsafePathException e) {
            throw new IllegalArgumentException(e.getMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read '" + file + "' (" + e.getClass().getSimpleName() + " "
                    + e.getMessage() + ")");
        }
    }
}
