package dev.herd.cli;

import dev.herd.ClusterSpec;
import dev.herd.ListenMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** herd run's settings file: the same options as the flags, errors at their line and column, flags over the file. */
class ConfigFileTest {
    @TempDir
    Path dir;

    private Path file(String yaml) throws IOException {
        Path file = dir.resolve("herd.yaml");
        Files.writeString(file, yaml);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        return file;
    }

    @Test
    void everySettingMeansWhatItsFlagMeans() throws IOException {
        Path file = file("""
                version: 1
                workers: 3
                port: 9090
                mode: reuseport
                sticky: true
                drain-timeout: 45s
                max-memory: 300m
                max-requests: 20000
                max-jitter: 2000
                reload-at: "0 4 * * *"
                command: [/bin/server, --flag, "two words"]
                """);
        ClusterSpec spec = Cli.spec("-c", file.toString());
        assertThat(spec.workers()).isEqualTo(3);
        assertThat(spec.port()).isEqualTo(9090);
        assertThat(spec.mode()).isEqualTo(ListenMode.REUSEPORT);
        assertThat(spec.sticky()).isTrue();
        assertThat(spec.drainTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(spec.recycling().maxMemory()).isEqualTo(300L << 20);
        assertThat(spec.recycling().maxRequests()).isEqualTo(20_000);
        assertThat(spec.recycling().maxJitter()).isEqualTo(2000);
        assertThat(spec.recycling().reloadAt()).isEqualTo("0 4 * * *");
        assertThat(spec.command()).containsExactly("/bin/server", "--flag", "two words");
    }

    @Test
    void flagsOverrideTheFileAndACommandOnTheLineReplacesTheFilesCommand() throws IOException {
        Path file = file("workers: 3\nport: 9090\ncommand: [/bin/server]\n");
        ClusterSpec spec = Cli.spec("--workers", "5", "--config", file.toString(), "--", "/bin/other", "x");
        assertThat(spec.workers()).isEqualTo(5);
        assertThat(spec.port()).isEqualTo(9090);
        assertThat(spec.command()).containsExactly("/bin/other", "x");
    }

    @Test
    void herdConfigInTheEnvironmentIsReadWhenNoFileIsNamed() throws IOException {
        Path file = file("workers: 2\n");
        Cli.Result result = Cli.execute(Map.of(ConfigFile.ENV, file.toString()), "run", "--", "/bin/server");
        assertThat(result.code()).as(result.err()).isZero();
        assertThat(result.spec().workers()).isEqualTo(2);
        Cli.Result named = Cli.execute(Map.of(ConfigFile.ENV, dir.resolve("missing.yaml").toString()), "run", "-c",
                file.toString(), "--", "/bin/server");
        assertThat(named.code()).as("--config wins over the environment").isZero();
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("workers: 3\nmax-memmory: 150m\n", "herd.yaml:2:1: max-memmory: unknown setting; did you mean 'max-memory'?"),
                Arguments.of("frobnicate: 1\n", "herd.yaml:1:1: frobnicate: unknown setting; the keys are herd run's options without '--' (herd config init lists them all)"),
                Arguments.of("workers: 3\nport: abc\n", "herd.yaml:2:1: port: 'abc' is not an int"),
                Arguments.of("mode: bogus\n", "herd.yaml:1:1: mode: 'bogus' is not a listen mode; use one of shared, reuseport, proxy, nat"),
                Arguments.of("sticky: maybe\n", "herd.yaml:1:1: sticky: 'maybe' must be true or false"),
                Arguments.of("port: [1, 2]\n", "herd.yaml:1:7: port: takes one value, not a list"),
                Arguments.of("port:\n", "herd.yaml:1:6: port: has no value; give one, or leave the key out for the default"),
                Arguments.of("port: 1\nport: 2\n", "herd.yaml:2:1: port: given twice (first at line 1)"),
                Arguments.of("command: java -jar app.jar\n", "herd.yaml:1:10: command: give the program and its arguments as a list, e.g. command: [java, -jar, app.jar]"),
                Arguments.of("command: []\n", "herd.yaml:1:11: command: the list is empty; give the worker program, or leave command out to run the demo"),
                Arguments.of("version: 2\n", "herd.yaml:1:10: version: '2' is a settings file for another Herd; this one reads version 1"),
                Arguments.of("- workers\n", "herd.yaml:1:1: the file must be a map of settings, one 'key: value' per line (herd config init writes an example)"),
                Arguments.of("workers: 'three\n", "herd.yaml:1:8: not valid YAML: while scanning a quoted scalar; found unexpected end of stream"),
                // the rules between settings, checked when herd run builds its spec, point at the key too
                Arguments.of("max-memory: 512k\n", "herd.yaml:1:1: max-memory: '512k' must be 0 (no limit) or at least 1m"),
                Arguments.of("workers: 2\nreload-batch: 3\n", "herd.yaml:2:1: reload-batch: '3' must be between 1 and the number of workers (2)"),
                Arguments.of("balance: least-conn\n", "herd.yaml:1:1: balance/proxy-protocol: 'least-conn/none' only apply to --mode proxy"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void aBadFileIsExitCode2WithOneLineNamingTheFileLineAndColumn(String yaml, String message) throws IOException {
        Path file = file(yaml);
        Cli.Result result = Cli.execute("run", "-c", file.toString(), "--", "/bin/server");
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.spec()).as("no master is started").isNull();
        assertThat(result.errLines()).hasSize(1);
        assertThat(result.errLines().getFirst()).startsWith("herd: " + dir.resolve(message.substring(0, message.indexOf(':')))
                + message.substring(message.indexOf(':')));
    }

    @Test
    void aFlagThatOverridesABadValueLeavesNoErrorAboutIt() throws IOException {
        Path file = file("workers: 2\nreload-batch: 3\n");
        assertThat(Cli.spec("-c", file.toString(), "--reload-batch", "2", "--", "/bin/server").reloadBatch()).isEqualTo(2);
        Cli.Result result = Cli.execute("run", "-c", file.toString(), "--workers", "1", "--reload-batch", "2", "--", "/bin/x");
        assertThat(result.errLines()).as("an error about a flag names no place in the file")
                .containsExactly("herd: reload-batch: '2' must be between 1 and the number of workers (1) (see 'herd run --help')");
    }

    @Test
    void aMissingUnsafeOrHugeFileIsRefusedInOneLine() throws IOException {
        Cli.Result missing = Cli.execute("run", "-c", dir.resolve("nope.yaml").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.errLines()).containsExactly("herd: " + dir.resolve("nope.yaml") + ": no such file (herd config init writes an example)");

        Path open = file("workers: 2\n");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-rw-rw-"));
        Cli.Result writable = Cli.execute("run", "-c", open.toString());
        assertThat(writable.code()).isEqualTo(2);
        assertThat(writable.errLines()).containsExactly("herd: config " + open + " is writable by others (mode 0666):"
                + " anyone who can write it chooses the command Herd runs; chmod go-w " + open);

        Cli.Result directory = Cli.execute("run", "-c", dir.toString());
        assertThat(directory.errLines()).containsExactly("herd: " + dir + ": is a directory; give the settings file"
                + " (herd config init writes one)");

        Path huge = dir.resolve("huge.yaml");
        Files.writeString(huge, "# " + "x".repeat(ConfigFile.MAX_BYTES) + "\n");
        Files.setPosixFilePermissions(huge, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(Cli.execute("run", "-c", huge.toString()).errLines()).singleElement().asString()
                .endsWith("larger than 1024 KiB; a settings file is a few lines");
    }

    @Test
    void anEmptyFileSetsNothing() throws IOException {
        Path file = file("# nothing yet\n");
        assertThat(Cli.spec("-c", file.toString(), "--workers", "2", "--", "/bin/server").workers()).isEqualTo(2);
    }

    @Test
    void configCheckPrintsTheEffectiveSettingsAndConfigInitWritesAFileCheckAccepts() throws IOException {
        Path example = dir.resolve("example.yaml");
        Cli.Result init = Cli.execute("config", "init", example.toString());
        assertThat(init.code()).as(init.err()).isZero();
        String text = Files.readString(example);
        assertThat(text).contains("version: 1", "# workers: N|auto", "# max-memory: SIZE", "# drain-timeout: 30s",
                "# sticky: true", "# command: [java, -jar, app.jar]");
        assertThat(Cli.execute("config", "init", example.toString()).errLines())
                .containsExactly("herd: config init: " + example + " exists; remove it or name another file");
        Files.setPosixFilePermissions(example, PosixFilePermissions.fromString("rw-r--r--"));
        Cli.Result checkedExample = Cli.execute("config", "check", example.toString());
        assertThat(checkedExample.code()).as(checkedExample.err()).isZero();

        Path file = file("workers: 3\nmax-memory: 150m\nreload-at: '0 4 * * *'\ncommand: [java, -jar, app.jar]\n");
        Cli.Result check = Cli.execute("config", "check", file.toString());
        assertThat(check.code()).as(check.err()).isZero();
        assertThat(check.out().lines()).contains("workers: 3   # " + file, "max-memory: 150m   # " + file,
                "port: 8080   # default", "drain-timeout: 30s   # default", "# max-requests: not set",
                "reload-at: '0 4 * * *'   # " + file, "command: [java, -jar, app.jar]   # " + file);

        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "workers: 2\nmax-memmory: 1g\n");
        Files.setPosixFilePermissions(bad, PosixFilePermissions.fromString("rw-r--r--"));
        Cli.Result refused = Cli.execute("config", "check", bad.toString());
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.errLines()).containsExactly("herd: " + bad + ":2:1: max-memmory: unknown setting; did you mean 'max-memory'?");
    }

    /** The library reads the same file ({@code ClusterSpec.builder().settings(file)}) into the same spec. */
    @Test
    void theLibrarysBuilderReadsTheSameFileIntoTheSameSpec() throws IOException {
        assertThat(dev.herd.SettingsFile.keys()).as("the keys the library knows are herd run's options")
                .containsExactlyInAnyOrderElementsOf(ConfigFile.options(new RunOptions(new Object()).spec).keySet());
        Path key = dir.resolve("key");
        Files.writeString(key, "0123456789abcdef0123\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Path envFile = dir.resolve("app.env");
        Files.writeString(envFile, "A=from-file\nC=3\n");
        Files.setPosixFilePermissions(envFile, PosixFilePermissions.fromString("rw-------"));
        Path file = file("""
                workers: 3
                port: 9091
                host: 127.0.0.2
                mode: proxy
                sticky: false
                takeover: true
                balance: least-conn
                proxy-protocol: v2
                idle-timeout: 90s
                backlog: 64
                socket-fd: 0
                ready-when: started
                start-timeout: 20s
                restart-delay: 200ms
                max-restart-delay: 10s
                max-restarts-per-minute: 7
                max-failed-starts: 4
                drain-timeout: 12s
                reload-batch: 2
                canary-seconds: 3
                retired-nice: 5
                max-memory: 300m
                max-memory-hard: 400m
                max-requests: 1000
                max-connections: 500
                max-jitter: 10
                max-uptime: 1h
                max-uptime-jitter: 5m
                cluster-memory-high: 2g
                cluster-memory-low: 1g
                overload-recycle: 5s
                reload-at: "30 3 * * 1"
                state-dir: /tmp/herd-settings-test
                log-dir: /tmp/herd-settings-test-logs
                watchdog-timeout: 15s
                log-max-size: 20m
                log-keep: 3
                api-host: 127.0.0.3
                api-port: 12000
                no-api: false
                access-key-file: KEY
                api-allow-get: true
                ecv-monitor: /health
                user: app
                group: "1000"
                chdir: /srv/app
                env:
                  A: 1
                  B: x=y
                env-file: ENVFILE
                umask: '027'
                nofile: 4096
                log-to: stdout
                log-format: logfmt
                command: [/bin/server, --port, "8080"]
                """.replace("ENVFILE", envFile.toString()).replace("KEY", key.toString()));
        String text = Files.readString(file);
        assertThat(dev.herd.SettingsFile.keys()).as("every key is set in this file")
                .allMatch(k -> text.contains("\n" + k + ":") || text.startsWith(k + ":"));
        ClusterSpec library = ClusterSpec.builder().settings(file).build();
        assertThat(library).isEqualTo(Cli.spec("-c", file.toString()));
        assertThat(library.recycling().reloadAt()).isEqualTo("30 3 * * 1");
        assertThat(library.api().accessKey()).isEqualTo("0123456789abcdef0123");
        assertThat(library.process().env()).containsExactly(Map.entry("A", "1"), Map.entry("C", "3"),
                Map.entry("B", "x=y"));
        assertThat(library.process().umask()).isEqualTo(027);

        Path bad = file("workers: 2\nport: abc\n");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> ClusterSpec.builder().settings(bad)))
                .isInstanceOf(dev.herd.ConfigException.class).hasMessage(bad + ":2:1: port: 'abc' is not an int");
    }

    @Test
    void theExampleNamesEveryOptionOfHerdRun() {
        String example = ConfigCommands.example();
        for (String key : ConfigFile.options(new RunOptions(new Object()).spec).keySet()) {
            assertThat(example).contains("\n# " + key + ": ");
        }
        assertThat(example).doesNotContain("${DEFAULT-VALUE}").doesNotContain("# config:").doesNotContain("# help:");
    }

    @Test
    void configHelpAndAMissingSubcommand() {
        assertThat(Cli.execute("config", "--help").out()).contains("check", "init");
        Cli.Result none = Cli.execute("config");
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.errLines()).containsExactly("herd: missing subcommand: check FILE or init [FILE] (see 'herd config --help')");
        assertThat(List.of(Cli.execute("run", "--help").out().split("\n"))).anySatisfy(line -> assertThat(line).contains("-c, --config=FILE"));
    }
}
