package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herd.ClusterSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The commands for a running master, without one: how they find it (README: "pass the same --state-dir as herd run,
 * or --port to use that port's default state dir"), and their exit codes "2 bad usage, 3 no master answers".
 */
class ControlCommandsTest {
    @TempDir
    Path emptyStateDir;

    static Stream<List<String>> everyCommand() {
        return Stream.of(List.of("status"), List.of("workers"), List.of("health"), List.of("info"), List.of("version"),
                List.of("reload"), List.of("restart", "all"), List.of("restart", "slot", "1"), List.of("shutdown", "pid", "42"),
                List.of("scale", "2"), List.of("upgrade", "--env", "A=1", "--", "/bin/server"), List.of("kill-retired"),
                List.of("ecv", "disable"), List.of("stop", "--drain-timeout", "5s"), List.of("exit", "now"),
                List.of("events", "-f"), List.of("logs", "0", "-n", "5"), List.of("exec", "help"));
    }

    @ParameterizedTest(name = "herd {0}")
    @MethodSource("everyCommand")
    void withNoMasterThereEveryCommandSaysSoInOneLineWithExitCode3(List<String> command) {
        List<String> args = new ArrayList<>(command);
        args.addAll(command.contains("--") ? command.indexOf("--") : command.size(), List.of("--state-dir", emptyStateDir.toString()));
        Cli.Result result = Cli.execute(args.toArray(String[]::new));
        assertThat(result.code()).isEqualTo(3);
        assertThat(result.errLines()).containsExactly("herd: no master is running with state dir " + emptyStateDir
                + " (no control.sock there); start one with 'herd run', or pass --state-dir, --port or --url");
    }

    @Test
    void theMasterIsFoundInTheStateDirOfTheGivenPortOrTheGivenStateDir() {
        assertThat(Cli.parsed(ControlCommands.Status.class, "status").master.stateDirectory())
                .isEqualTo(ClusterSpec.defaultStateDir(8080).toAbsolutePath());
        assertThat(Cli.parsed(ControlCommands.Status.class, "status", "--port", "9000").master.stateDirectory())
                .isEqualTo(ClusterSpec.defaultStateDir(9000).toAbsolutePath());
        assertThat(Cli.parsed(ControlCommands.Reload.class, "reload", "-p", "9000", "--state-dir", "rel/state").master.socket())
                .isEqualTo(Path.of("rel/state/control.sock").toAbsolutePath());
        // herd run puts its state where these look for it
        assertThat(Cli.spec("--port", "9000", "--", "/bin/server").stateDir())
                .isEqualTo(Cli.parsed(ControlCommands.Status.class, "status", "--port", "9000").master.stateDirectory());
    }

    @Test
    void logsShowTheLast20LinesOfEverySlotByDefault() {
        ControlCommands.Logs logs = Cli.parsed(ControlCommands.Logs.class, "logs");
        assertThat(logs.slot).isEqualTo("all");
        assertThat(logs.count).isEqualTo(20);
        assertThat(logs.follow).isFalse();
        ControlCommands.Logs followed = Cli.parsed(ControlCommands.Logs.class, "logs", "3", "-f", "-n", "100");
        assertThat(followed.slot).isEqualTo("3");
        assertThat(followed.count).isEqualTo(100);
        assertThat(followed.follow).isTrue();
    }

    @Test
    void upgradeTakesTheCommandAfterTheDoubleDashAndRepeatableEnv() {
        ControlCommands.Upgrade upgrade = Cli.parsed(ControlCommands.Upgrade.class, "upgrade", "-e", "A=1", "--env", "B=x=y",
                "--", "java", "-jar", "app-2.jar", "--port", "1");
        assertThat(upgrade.env).containsExactly(java.util.Map.entry("A", "1"), java.util.Map.entry("B", "x=y"));
        assertThat(upgrade.command).containsExactly("java", "-jar", "app-2.jar", "--port", "1");
    }

    static Stream<Arguments> badUsage() {
        return Stream.of(
                Arguments.of(List.of("status", "--bogus"), "herd: Unknown option: '--bogus' (see 'herd status --help')"),
                Arguments.of(List.of("restart"), "herd: Missing required parameter: 'all|slot N|pid P' (see 'herd restart --help')"),
                Arguments.of(List.of("shutdown"), "herd: Missing required parameter: 'all|slot N|pid P' (see 'herd shutdown --help')"),
                Arguments.of(List.of("scale"), "herd: Missing required parameter: 'N' (see 'herd scale --help')"),
                Arguments.of(List.of("exit"), "herd: Missing required parameter: 'now' (see 'herd exit --help')"),
                Arguments.of(List.of("upgrade"), "herd: Missing required parameter: 'COMMAND' (see 'herd upgrade --help')"),
                Arguments.of(List.of("exec"), "herd: Missing required parameter: 'COMMAND' (see 'herd exec --help')"),
                Arguments.of(List.of("logs", "-n", "0"), "herd: --lines: '0' must be between 1 and 10000"),
                Arguments.of(List.of("logs", "-n", "10001"), "herd: --lines: '10001' must be between 1 and 10000"),
                Arguments.of(List.of("events", "-n", "1001"), "herd: --lines: '1001' must be between 1 and 1000"),
                Arguments.of(List.of("status", "--port", "x"), "herd: Invalid value for option '--port': 'x' is not an int (see 'herd status --help')"));
    }

    @ParameterizedTest(name = "herd {0}")
    @MethodSource("badUsage")
    void badUsageIsExitCode2WithOneLine(List<String> args, String line) {
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of("--state-dir", emptyStateDir.toString()));
        Cli.Result result = Cli.execute(all.toArray(String[]::new));
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.errLines()).containsExactly(line);
    }

    @Test
    void theHttpApiWithoutAKeyIsAUsageError() {
        Assumptions.assumeTrue(System.getenv(MasterConnection.KEY_ENV) == null, "$HERD_ACCESS_KEY is set");
        Cli.Result result = Cli.execute("status", "--url", "http://127.0.0.1:1", "--state-dir", emptyStateDir.toString());
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.errLines()).containsExactly("herd: --url needs the access key: pass --key or set $HERD_ACCESS_KEY"
                + " (no key file in " + emptyStateDir + ")");
    }

    @Test
    void anHttpApiThatDoesNotAnswerIsExitCode3() {
        Cli.Result result = Cli.execute("status", "--url", "http://127.0.0.1:1", "--key", "0123456789abcdef");
        assertThat(result.code()).isEqualTo(3);
        assertThat(result.errLines()).hasSize(1);
        assertThat(result.errLines().getFirst()).startsWith("herd: no master answers at http://127.0.0.1:1 (");
    }
}
