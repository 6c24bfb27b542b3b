package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * README: exit code 2 is "bad usage: unknown flag, bad value, missing subcommand, missing ... command", and "errors
 * before start are one line on stderr naming the problem": never the whole usage text, and no master is started.
 */
class RunUsageErrorsTest {

    static Stream<Arguments> refused() {
        return Stream.of(
                // picocli's own checks
                Arguments.of(List.of("--wrokers", "4"), "Unknown option: '--wrokers'"),
                Arguments.of(List.of("-x"), "Unknown option: '-x'"),
                Arguments.of(List.of("--port"), "Missing required parameter for option '--port'"),
                Arguments.of(List.of("--port", "1", "--port", "2"), "option '--port' (PORT) should be specified only once"),
                Arguments.of(List.of("--port", "abc"), "Invalid value for option '--port': 'abc' is not an int"),
                Arguments.of(List.of("--sticky=maybe"), "Invalid value for option '--sticky'"),
                // the converters: the message names the value and what is accepted
                Arguments.of(List.of("--workers", "many"), "Invalid value for option '--workers': 'many' is not a number of workers; use a whole number or 'auto'"),
                Arguments.of(List.of("--mode", "bogus"), "Invalid value for option '--mode': 'bogus' is not a listen mode; use one of shared, reuseport, proxy, nat"),
                Arguments.of(List.of("--ready-when", "soon"), "Invalid value for option '--ready-when': 'soon' is not a readiness mode; use one of started, listening, notify"),
                Arguments.of(List.of("--balance", "round_robin"), "Invalid value for option '--balance': 'round_robin' is not a balance policy; use one of round-robin, least-conn, ip-hash"),
                Arguments.of(List.of("--proxy-protocol", "v3"), "Invalid value for option '--proxy-protocol': 'v3' is not a PROXY protocol version; use v1, v2 or none"),
                Arguments.of(List.of("--drain-timeout", "1.5s"), "Invalid value for option '--drain-timeout': '1.5s' is not a duration; use a whole number with a unit"),
                Arguments.of(List.of("--drain-timeout", "PT30S"), "'PT30S' is not a duration"),
                Arguments.of(List.of("--drain-timeout", "1d"), "'1d' is not a duration"),
                Arguments.of(List.of("--drain-timeout=-1s"), "'-1s' is not a duration"),
                Arguments.of(List.of("--log-max-size", "10mb"), "Invalid value for option '--log-max-size': '10mb' is not a size; use bytes or a number with k, m or g"),
                Arguments.of(List.of("--log-max-size", "1.5m"), "'1.5m' is not a size"),
                Arguments.of(List.of("--log-max-size=-1"), "'-1' is not a size"),
                Arguments.of(List.of("--log-max-size", "1048577g"), "'1048577g' is too large; sizes go up to 1048576g"),
                Arguments.of(List.of("--log-max-size", "99999999999g"), "'99999999999g' is too large; sizes go up to 1048576g"),
                Arguments.of(List.of("--log-max-size", "1125899906842625"), "'1125899906842625' is too large; sizes go up to 1048576g"),
                Arguments.of(List.of("--log-max-size", "99999999999999999999k"), "'99999999999999999999k' is too large; sizes go up to 1048576g"),
                // ClusterSpec's rules: the message names the setting, the value and the rule
                Arguments.of(List.of("--workers", "0"), "workers: '0' must be between 1 and 1024"),
                Arguments.of(List.of("--workers=-1"), "workers: '-1' must be between 1 and 1024"),
                Arguments.of(List.of("--workers", "1025"), "workers: '1025' must be between 1 and 1024"),
                Arguments.of(List.of("--mode", "nat", "--workers", "300"), "workers: '300' is more than --mode nat's 256 address bands"),
                Arguments.of(List.of("--port", "65536"), "port: '65536' must be between 0 and 65535"),
                Arguments.of(List.of("--host", ""), "host: '' must be an IP address or host name"),
                Arguments.of(List.of("--backlog", "0"), "backlog: '0' must be at least 1"),
                Arguments.of(List.of("--sticky"), "sticky: 'true' needs --mode reuseport"),
                Arguments.of(List.of("--mode", "nat", "--sticky"), "sticky: 'true' is built into --mode nat"),
                Arguments.of(List.of("--balance", "least-conn"), "balance/proxy-protocol: 'least-conn/none' only apply to --mode proxy"),
                Arguments.of(List.of("--proxy-protocol", "v1"), "balance/proxy-protocol: 'round-robin/v1' only apply to --mode proxy"),
                Arguments.of(List.of("--socket-fd", "1"), "socket-fd: '1' must be 0 (System.inheritedChannel()) or 3 (systemd LISTEN_FDS)"),
                Arguments.of(List.of("--start-timeout", "0"), "start-timeout: '0s' must be positive"),
                Arguments.of(List.of("--restart-delay", "2s", "--max-restart-delay", "1500ms"), "max-restart-delay: '1500ms' must not be smaller than restart-delay (2s)"),
                Arguments.of(List.of("--max-restarts-per-minute", "0"), "max-restarts-per-minute: '0' must be at least 1"),
                Arguments.of(List.of("--max-failed-starts", "0"), "max-failed-starts: '0' must be at least 1"),
                Arguments.of(List.of("--max-memory", "200mb"), "Invalid value for option '--max-memory': '200mb' is not a size"),
                Arguments.of(List.of("--max-memory", "512k"), "max-memory: '512k' must be 0 (no limit) or at least 1m"),
                Arguments.of(List.of("--max-memory", "300m", "--max-memory-hard", "200m"),
                        "max-memory-hard: '200m' must be above --max-memory (300m): the soft limit recycles first, the hard one kills"),
                Arguments.of(List.of("--max-requests=-5"), "max-requests: '-5' must be 0 (no limit) or more"),
                Arguments.of(List.of("--max-requests", "many"), "Invalid value for option '--max-requests': 'many' is not a long"),
                Arguments.of(List.of("--max-jitter", "100"), "max-jitter: '100' only applies with --max-requests or --max-connections"),
                Arguments.of(List.of("--max-uptime", "500ms"), "max-uptime: '500ms' must be 0 (no limit) or at least 1s"),
                Arguments.of(List.of("--max-uptime-jitter", "5m"), "max-uptime-jitter: '5m' only applies with --max-uptime"),
                Arguments.of(List.of("--idle-timeout", "30s"), "idle-timeout: '30s' only applies to --mode proxy"),
                Arguments.of(List.of("--mode", "proxy", "--idle-timeout", "10ms"), "idle-timeout: '10ms' must be 0 (off) or at least 100ms"),
                Arguments.of(List.of("--reload-at", "0 25 * * *"), "reload-at: '0 25 * * *' has a bad hour field '25'"),
                Arguments.of(List.of("--reload-at", "daily"), "reload-at: 'daily' has 1 fields; a cron expression has 5: minute hour day-of-month month day-of-week"),
                Arguments.of(List.of("--overload-recycle", "500ms"), "overload-recycle: '500ms' must be 0 (off) or at least 1s"),
                Arguments.of(List.of("--cluster-memory-low", "1g"), "cluster-memory-low: '1g' only applies with --cluster-memory-high"),
                Arguments.of(List.of("--cluster-memory-high", "1g", "--cluster-memory-low", "1g"),
                        "cluster-memory-low: '1g' must be below --cluster-memory-high (1g)"),
                Arguments.of(List.of("--workers", "2", "--reload-batch", "3"), "reload-batch: '3' must be between 1 and the number of workers (2)"),
                Arguments.of(List.of("--canary-seconds=-1"), "canary-seconds: '-1' must not be negative"),
                Arguments.of(List.of("--retired-nice", "20"), "retired-nice: '20' must be between 0 (leave retired workers alone) and 19 (lowest priority)"),
                Arguments.of(List.of("--log-max-size", "3k"), "log-max-size: '3072' must be at least 4096 bytes (4k)"),
                Arguments.of(List.of("--log-keep", "1001"), "log-keep: '1001' must be between 0 and 1000 rotated files"),
                Arguments.of(List.of("--watchdog-timeout", "50ms"), "watchdog-timeout: '50ms' must be 0 (off) or at least 100ms"),
                Arguments.of(List.of("--api-port", "70000"), "api-port: '70000' must be between 0 and 65535"),
                Arguments.of(List.of("--ecv-monitor", "health"), "ecv-monitor: 'health' must be a path on the service starting with '/'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void aBadOptionIsExitCode2WithOneLineNamingItAndWhereHelpIs(List<String> options, String message) {
        List<String> args = new java.util.ArrayList<>(List.of("run"));
        args.addAll(options);
        if (!options.equals(List.of("--port"))) { // that one is about a value missing at the end
            args.addAll(List.of("--", "/bin/server"));
        }
        Cli.Result result = Cli.execute(args.toArray(String[]::new));
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.spec()).as("no master is started").isNull();
        assertThat(result.errLines()).hasSize(1);
        assertThat(result.errLines().getFirst()).startsWith("herd: ").contains(message).endsWith(" (see 'herd run --help')");
        assertThat(result.out()).isEmpty();
    }

    @Test
    void aDoubleDashWithNothingAfterItIsAUsageError() {
        Cli.Result result = Cli.execute("run", "--workers", "2", "--");
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.spec()).isNull();
        assertThat(result.errLines()).containsExactly("herd: command: nothing follows '--'; put the worker program and"
                + " its arguments after it, or leave '--' out to run the bundled demo (see 'herd run --help')");
    }

    @Test
    void socketFd3NeedsAWorkerCommandBecauseTheDemoReadsFd0() {
        Cli.Result result = Cli.execute("run", "--socket-fd", "3");
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.spec()).isNull();
        assertThat(result.errLines()).hasSize(1);
        assertThat(result.errLines().getFirst()).startsWith("herd: socket-fd: '3' needs a worker command after '--'");
    }

    @Test
    void anAccessKeyFileThatCannotBeReadIsAUsageError() {
        Cli.Result result = Cli.execute("run", "--access-key-file", "/nonexistent/herd.key", "--", "/bin/server");
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.spec()).isNull();
        assertThat(result.errLines()).hasSize(1);
        assertThat(result.errLines().getFirst()).startsWith("herd: access-key-file: cannot read '/nonexistent/herd.key'");
    }

    @Test
    void aMissingSubcommandIsAUsageError() {
        Cli.Result result = Cli.execute();
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.errLines()).containsExactly("herd: missing subcommand: try 'herd run --help' (see 'herd --help')");
    }

    @Test
    void anUnknownSubcommandIsAUsageErrorNamingIt() {
        Cli.Result result = Cli.execute("rnu", "--workers", "2");
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.errLines()).hasSize(1);
        assertThat(result.errLines().getFirst()).startsWith("herd: ").contains("'rnu'").endsWith("(see 'herd --help')");
    }

    @Test
    void helpIsNoErrorAndShowsEveryOptionWithItsDefault() {
        Cli.Result result = Cli.execute("run", "--help");
        assertThat(result.code()).isZero();
        assertThat(result.spec()).isNull();
        assertThat(result.err()).isEmpty();
        String text = result.out().replaceAll("\\s+", " "); // as wrapped to the terminal width
        assertThat(text).contains("--workers=N|auto", "--log-max-size=SIZE", "Default: 10m.", "Default: 8080.",
                "Default: listening.", "Exit codes:");
        assertThat(result.out()).doesNotContain("${DEFAULT-VALUE}");
    }
}
