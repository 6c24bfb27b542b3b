package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herd.ApiSpec;
import dev.herd.Balance;
import dev.herd.ClusterSpec;
import dev.herd.ListenMode;
import dev.herd.ProxyHeader;
import dev.herd.ReadyWhen;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** {@code herd run}'s options as the ClusterSpec the master would run: defaults, and every option's effect. */
class RunOptionsTest {

    /**
     * The defaults are written twice, as picocli defaultValue strings and as ClusterSpec.Builder's fields (which
     * library mode uses): {@code herd run} with no option must build exactly the builder's default spec.
     */
    @Test
    void everyDefaultOfHerdRunIsTheSpecBuildersDefault() throws Exception {
        ClusterSpec fromCli = Cli.spec("--", "/bin/server");
        ClusterSpec fromBuilder = ClusterSpec.builder().command(List.of("/bin/server")).build();
        for (RecordComponent component : ClusterSpec.class.getRecordComponents()) {
            if (component.getName().equals("api")) {
                continue;
            }
            assertThat(component.getAccessor().invoke(fromCli)).as(component.getName())
                    .isEqualTo(component.getAccessor().invoke(fromBuilder));
        }
        for (RecordComponent component : ApiSpec.class.getRecordComponents()) {
            if (component.getName().equals("accessKey")) {
                continue; // herd run takes $HERD_ACCESS_KEY; the builder leaves it to the master
            }
            assertThat(component.getAccessor().invoke(fromCli.api())).as("api." + component.getName())
                    .isEqualTo(component.getAccessor().invoke(fromBuilder.api()));
        }
    }

    @Test
    void withoutACommandTheBundledDemoRunsWithItsHint() {
        Cli.Result demo = Cli.execute("run");
        assertThat(demo.code()).isZero();
        assertThat(demo.spec().command()).contains("dev.herd.examples.demo.DemoWorker");
        assertThat(demo.listeners()).hasAtLeastOneElementOfType(RunCommand.DemoHint.class);
        Cli.Result own = Cli.execute("run", "--", "/bin/server", "--flag");
        assertThat(own.spec().command()).containsExactly("/bin/server", "--flag");
        assertThat(own.listeners()).as("no demo hint for the application's own workers")
                .noneMatch(RunCommand.DemoHint.class::isInstance);
    }

    @Test
    void everythingAfterTheDoubleDashIsTheCommandEvenWhatLooksLikeHerdsOptions() {
        ClusterSpec spec = Cli.spec("--port", "9000", "--", "java", "-jar", "app.jar", "--port", "1", "--workers", "7");
        assertThat(spec.command()).containsExactly("java", "-jar", "app.jar", "--port", "1", "--workers", "7");
        assertThat(spec.port()).isEqualTo(9000);
        assertThat(spec.workers()).isEqualTo(Runtime.getRuntime().availableProcessors());
    }

    record Case(String option, List<String> args, Function<ClusterSpec, Object> value, Object expected) {
        @Override
        public String toString() {
            return String.join(" ", args);
        }
    }

    private static Case of(String option, Function<ClusterSpec, Object> value, Object expected, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        if (!all.contains("--")) {
            all.addAll(List.of("--", "/bin/server"));
        }
        return new Case(option, all, value, expected);
    }

    static Stream<Case> everyOption() {
        Path cwd = Path.of("").toAbsolutePath();
        return Stream.of(
                of("--workers", ClusterSpec::workers, 3, "-w", "3"),
                of("--workers", ClusterSpec::workers, Runtime.getRuntime().availableProcessors(), "--workers", "auto"),
                of("--workers", ClusterSpec::workers, Runtime.getRuntime().availableProcessors(), "--workers", "AUTO"),
                of("--port", ClusterSpec::port, 9000, "-p", "9000"),
                of("--port", ClusterSpec::port, 0, "--port", "0"),
                of("--host", ClusterSpec::host, "::1", "--host", "::1"),
                of("--mode", ClusterSpec::mode, ListenMode.REUSEPORT, "--mode", "reuseport"),
                of("--mode", ClusterSpec::mode, ListenMode.PROXY, "--mode", "PROXY"),
                of("--mode", ClusterSpec::mode, ListenMode.NAT, "--mode", "nat"),
                of("--sticky", ClusterSpec::sticky, true, "--mode", "reuseport", "--sticky"),
                of("--takeover", ClusterSpec::takeover, true, "--takeover"),
                of("--balance", ClusterSpec::balance, Balance.LEAST_CONN, "--mode", "proxy", "--balance", "least-conn"),
                of("--balance", ClusterSpec::balance, Balance.IP_HASH, "--mode", "proxy", "--balance", "ip-hash"),
                of("--proxy-protocol", ClusterSpec::proxyHeader, ProxyHeader.V1, "--mode", "proxy", "--proxy-protocol", "v1"),
                of("--proxy-protocol", ClusterSpec::proxyHeader, ProxyHeader.V2, "--mode", "proxy", "--proxy-protocol", "2"),
                of("--backlog", ClusterSpec::backlog, 16, "--backlog", "16"),
                of("--socket-fd", ClusterSpec::socketFd, 3, "--socket-fd", "3", "--", "/bin/server"),
                of("--ready-when", ClusterSpec::readyWhen, ReadyWhen.NOTIFY, "--ready-when", "notify"),
                of("--ready-when", ClusterSpec::readyWhen, ReadyWhen.STARTED, "--ready-when", "started"),
                of("--start-timeout", ClusterSpec::startTimeout, Duration.ofSeconds(5), "--start-timeout", "5s"),
                of("--restart-delay", ClusterSpec::restartDelay, Duration.ofSeconds(1), "--restart-delay", "1s"),
                of("--max-restart-delay", ClusterSpec::maxRestartDelay, Duration.ofMinutes(2), "--max-restart-delay", "2m"),
                of("--max-restarts-per-minute", ClusterSpec::maxRestartsPerMinute, 3, "--max-restarts-per-minute", "3"),
                of("--max-failed-starts", ClusterSpec::maxFailedStarts, 2, "--max-failed-starts", "2"),
                of("--drain-timeout", ClusterSpec::drainTimeout, Duration.ofMillis(500), "--drain-timeout", "500ms"),
                of("--reload-batch", ClusterSpec::reloadBatch, 2, "--workers", "2", "--reload-batch", "2"),
                of("--canary-seconds", ClusterSpec::canaryPeriod, Duration.ofSeconds(7), "--canary-seconds", "7"),
                of("--retired-nice", ClusterSpec::retiredNice, 19, "--retired-nice", "19"),
                of("--state-dir", ClusterSpec::stateDir, Path.of("/tmp/y"), "--state-dir", "/tmp/x/../y"),
                of("--state-dir", ClusterSpec::logDir, Path.of("/tmp/y/logs"), "--state-dir", "/tmp/y"),
                of("--log-dir", ClusterSpec::logDir, cwd.resolve("rel/logs"), "--log-dir", "rel/logs"),
                of("--watchdog-timeout", ClusterSpec::watchdogTimeout, Duration.ofSeconds(2), "--watchdog-timeout", "2s"),
                of("--max-memory", s -> s.recycling().maxMemory(), 300L << 20, "--max-memory", "300m"),
                of("--max-memory-hard", s -> s.recycling().maxMemoryHard(), 1L << 30, "--max-memory-hard", "1g"),
                of("--max-requests", s -> s.recycling().maxRequests(), 20000L, "--max-requests", "20000"),
                of("--max-connections", s -> s.recycling().maxConnections(), 500L, "--max-connections", "500"),
                of("--max-jitter", s -> s.recycling().maxJitter(), 2000L, "--max-requests", "20000", "--max-jitter", "2000"),
                of("--max-uptime", s -> s.recycling().maxUptime(), Duration.ofHours(1), "--max-uptime", "1h"),
                of("--max-uptime-jitter", s -> s.recycling().uptimeJitter(), Duration.ofMinutes(5), "--max-uptime", "1h",
                        "--max-uptime-jitter", "5m"),
                of("--cluster-memory-high", s -> s.recycling().clusterMemoryHigh(), 2L << 30, "--cluster-memory-high", "2g"),
                of("--overload-recycle", s -> s.recycling().overloadRecycle(), Duration.ofSeconds(30), "--overload-recycle", "30s"),
                of("--reload-at", s -> s.recycling().reloadAt(), "0 4 * * *", "--reload-at", "0 4 * * *"),
                of("--idle-timeout", ClusterSpec::idleTimeout, Duration.ofSeconds(30), "--mode", "proxy", "--idle-timeout", "30s"),
                of("--cluster-memory-low", s -> s.recycling().clusterMemoryLow(), 1L << 30, "--cluster-memory-high", "2g",
                        "--cluster-memory-low", "1g"),
                of("--cluster-memory-low", s -> s.recycling().clusterMemoryLow(), 900L << 20, "--cluster-memory-high",
                        "1000m"),
                of("--log-max-size", ClusterSpec::logMaxBytes, 64L * 1024, "--log-max-size", "64k"),
                of("--log-keep", ClusterSpec::logKeep, 0, "--log-keep", "0"),
                of("--api-host", s -> s.api().host(), "10.0.0.1", "--api-host", "10.0.0.1"),
                of("--api-port", s -> s.api().port(), 0, "--api-port", "0"),
                of("--no-api", s -> s.api().enabled(), false, "--no-api"),
                of("--api-allow-get", s -> s.api().allowGet(), true, "--api-allow-get"),
                of("--ecv-monitor", s -> s.api().ecvMonitor(), "/health", "--ecv-monitor", "/health"),
                of("--user", s -> s.process().user(), "app", "--user", "app"),
                of("--group", s -> s.process().group(), "1000", "--group", "1000"),
                of("--chdir", s -> s.process().directory(), Path.of("/srv/app"), "--chdir", "/srv/app"),
                of("--env", s -> s.process().env(), java.util.Map.of("A", "1", "B", "x=y"), "-e", "A=1", "--env", "B=x=y"),
                of("--umask", s -> s.process().umask(), 027, "--umask", "027"),
                of("--nofile", s -> s.process().openFiles(), 65536L, "--nofile", "65536"),
                of("--log-to", ClusterSpec::logToStdout, true, "--log-to", "stdout"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyOption")
    void eachOptionReachesTheSpec(Case option) {
        ClusterSpec spec = Cli.spec(option.args().toArray(String[]::new));
        assertThat(option.value().apply(spec)).isEqualTo(option.expected());
    }

    /** Options tested elsewhere in this class rather than in {@link #everyOption()}. */
    private static final Set<String> TESTED_APART = Set.of("--access-key-file", "--config", "--env-file",
            "--log-format", "--console"); // --log-format: JsonLineTest // --config: ConfigFileTest // --console: below, and RunConsoleTest (e2e)

    /** --console is for a person at a terminal: without one (as here) the master does not start, and one line says why. */
    @Test
    void theConsoleWithoutATerminalIsRefusedBeforeTheMasterStarts() {
        Cli.Result result = Cli.execute("run", "--console", "--", "/bin/server");
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.spec()).isNull();
        assertThat(result.errLines()).singleElement().asString().startsWith("herd: --console needs a terminal");
    }

    @Test
    void anEnvFilesVariablesReachTheSpecAndEnvOverridesThem(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("app.env");
        Files.writeString(file, "A=from-file\nB='kept'\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        ClusterSpec spec = Cli.spec("--env-file", file.toString(), "--env", "A=from-flag", "--", "/bin/server");
        assertThat(spec.process().env()).containsExactly(java.util.Map.entry("A", "from-flag"), java.util.Map.entry("B", "kept"));
    }

    @Test
    void everyOptionOfHerdRunIsTestedAbove() {
        CommandLine run = HerdCommand.commandLine(CommandLine.defaultFactory()).getSubcommands().get("run");
        Set<String> options = new TreeSet<>();
        run.getCommandSpec().options().forEach(option -> options.add(option.longestName()));
        options.removeAll(Set.of("--help", "--version"));
        Set<String> tested = new TreeSet<>(TESTED_APART);
        everyOption().forEach(option -> tested.add(option.option()));
        assertThat(tested).isEqualTo(options);
    }

    /** The run command's model is built without picocli's annotation mixin: its help options must still work. */
    @Test
    void runHasTheStandardHelpAndVersionOptions() {
        for (String version : List.of("--version", "-V")) {
            Cli.Result result = Cli.execute("run", version);
            assertThat(result.code()).isZero();
            assertThat(result.spec()).as("no master for " + version).isNull();
            assertThat(result.out()).startsWith("herd ").contains(" on Java ");
            assertThat(Cli.execute(version).out()).isEqualTo(result.out());
        }
        Cli.Result help = Cli.execute("run", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.spec()).isNull();
        assertThat(help.out()).startsWith("Usage: herd run [-hV]")
                .contains("--drain-timeout=DURATION", "Default: 30s", "Default: auto", "-h, --help", "-V, --version");
    }

    @Test
    void anAccessKeyFileGivesTheApisKey(@TempDir Path dir) throws Exception {
        Path keyFile = dir.resolve("access.key");
        Files.writeString(keyFile, "0123456789abcdef-key\n");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        assertThat(Cli.spec("--access-key-file", keyFile.toString(), "--", "/bin/server").api().accessKey())
                .isEqualTo("0123456789abcdef-key");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("durations")
    void durationsTakeAUnitAndABareNumberIsSeconds(String given, Duration expected) {
        assertThat(Cli.spec("--drain-timeout", given, "--", "/bin/server").drainTimeout()).isEqualTo(expected);
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> durations() {
        return Stream.of(
                org.junit.jupiter.params.provider.Arguments.of("500ms", Duration.ofMillis(500)),
                org.junit.jupiter.params.provider.Arguments.of("30s", Duration.ofSeconds(30)),
                org.junit.jupiter.params.provider.Arguments.of("2m", Duration.ofMinutes(2)),
                org.junit.jupiter.params.provider.Arguments.of("1h", Duration.ofHours(1)),
                org.junit.jupiter.params.provider.Arguments.of("45", Duration.ofSeconds(45)),
                org.junit.jupiter.params.provider.Arguments.of("0", Duration.ZERO));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sizes")
    void sizesAreBytesOrPowersOf1024WithKMOrG(String given, long expected) {
        assertThat(Cli.spec("--log-max-size", given, "--", "/bin/server").logMaxBytes()).isEqualTo(expected);
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> sizes() {
        return Stream.of(
                org.junit.jupiter.params.provider.Arguments.of("4096", 4096L),
                org.junit.jupiter.params.provider.Arguments.of("64k", 65_536L),
                org.junit.jupiter.params.provider.Arguments.of("64K", 65_536L),
                org.junit.jupiter.params.provider.Arguments.of("10m", 10L << 20),
                org.junit.jupiter.params.provider.Arguments.of("1g", 1L << 30),
                org.junit.jupiter.params.provider.Arguments.of("1048576g", dev.herd.Sizes.MAX_BYTES),
                org.junit.jupiter.params.provider.Arguments.of("9999999999999", 9_999_999_999_999L), // below 1 PiB, in bytes
                org.junit.jupiter.params.provider.Arguments.of("1125899906842624", dev.herd.Sizes.MAX_BYTES));
    }
}
