package dev.herd.tests;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Must-show 5: port busy, bad flags, bad command: one clear line, non-zero exit, nothing left running. */
class BadInputTest {

    static Stream<Arguments> badInvocations() {
        return Stream.of(
                Arguments.of(List.of("--frobnicate"), 2, "Unknown option: '--frobnicate'"),
                Arguments.of(List.of("--workers", "0"), 2, "workers: '0' must be between 1 and 1024"),
                Arguments.of(List.of("--workers", "many"), 2, "'many' is not a number of workers"),
                Arguments.of(List.of("--port", "70000"), 2, "port: '70000' must be between 0 and 65535"),
                Arguments.of(List.of("--ready-when", "sometimes"), 2, "'sometimes' is not a readiness mode"),
                Arguments.of(List.of("--drain-timeout", "5x"), 2, "'5x' is not a duration"),
                Arguments.of(List.of("--max-failed-starts", "0"), 2,
                        "max-failed-starts: '0' must be at least 1 (failed starts in a row before a slot is given up)"),
                Arguments.of(List.of("--socket-fd", "2"), 2, "socket-fd: '2' must be 0"),
                Arguments.of(List.of("--socket-fd", "3"), 2, "socket-fd: '3' needs a worker command after '--'"),
                Arguments.of(List.of("--mode", "magic"), 2, "'magic' is not a listen mode; use one of shared, reuseport, proxy, nat"),
                Arguments.of(List.of("--sticky"), 2, "sticky: 'true' needs --mode reuseport"),
                Arguments.of(List.of("--balance", "least-conn"), 2, "only apply to --mode proxy"),
                Arguments.of(List.of("--mode", "nat", "--sticky"), 2, "sticky: 'true' is built into --mode nat"),
                Arguments.of(List.of("--mode", "nat", "--workers", "300"), 2,
                        "workers: '300' is more than --mode nat's 256 address bands"),
                Arguments.of(List.of("--host", "no-such-host.invalid"), 2, "host: 'no-such-host.invalid' is not an IP address"),
                Arguments.of(List.of("--", "/nonexistent/server"), 2, "command not found: '/nonexistent/server' does not exist"),
                Arguments.of(List.of("--", "no-such-program-herd"), 2, "command not found: 'no-such-program-herd' is not in PATH"),
                Arguments.of(List.of("--", "/tmp"), 2, "command is a directory: '/tmp'"),
                Arguments.of(List.of("--"), 2, "command: nothing follows '--'"),
                Arguments.of(List.of("--log-max-size", "99999999999g"), 2, "'99999999999g' is too large; sizes go up to 1048576g"),
                Arguments.of(List.of("--log-max-size", "17179869185g"), 2, "'17179869185g' is too large"),
                Arguments.of(List.of("--start-timeout", "0"), 2, "start-timeout: '0s' must be positive"),
                Arguments.of(List.of("--restart-delay", "2s", "--max-restart-delay", "1500ms"), 2,
                        "max-restart-delay: '1500ms' must not be smaller than restart-delay (2s)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInvocations")
    void badInputIsOneClearLineAndNothingRuns(List<String> extra, int expectedCode, String expectedMessage) {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2"));
        for (int i = 0; i < extra.size(); i++) {
            String option = extra.get(i);
            boolean hasValue = i + 1 < extra.size() && !extra.get(i + 1).startsWith("--");
            int given = args.indexOf(option);
            if (given >= 0 && hasValue) {
                args.set(given + 1, extra.get(++i)); // an option the base arguments already set: replace its value
            } else {
                args.add(option);
                if (hasValue) {
                    args.add(extra.get(++i));
                }
            }
        }
        try (Herd herd = Herd.start(dir, args)) {
            assertThat(herd.awaitExit(Duration.ofSeconds(30))).isEqualTo(expectedCode);
            Herd.assertOneLine(herd.output(), expectedMessage);
            assertThat(herd.processes()).isEmpty();
        }
    }

    @Test
    void nonExecutableCommandIsRefused() throws Exception {
        Path dir = Herd.newDir();
        Path script = Files.writeString(dir.resolve("server.sh"), "#!/bin/sh\nexit 0\n");
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--", script.toString()));
        try (Herd herd = Herd.start(dir, args)) {
            assertThat(herd.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
            Herd.assertOneLine(herd.output(), "command is not executable: '" + script + "'");
            assertThat(herd.processes()).isEmpty();
        }
    }

    @ParameterizedTest(name = "--mode {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"shared", "reuseport", "proxy", "nat"})
    void busyPortFailsBeforeAnyWorkerStarts(String mode) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Path dir = Herd.newDir();
            List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--mode", mode));
            args.set(args.indexOf("0"), Integer.toString(taken.getLocalPort()));
            try (Herd herd = Herd.start(dir, args)) {
                assertThat(herd.awaitExit(Duration.ofSeconds(30))).isEqualTo(3);
                Herd.assertOneLine(herd.output(), "cannot listen on 127.0.0.1:" + taken.getLocalPort()
                        + ": port " + taken.getLocalPort() + " is already in use");
                assertThat(herd.events("worker.forked")).isEmpty();
                assertThat(herd.processes()).isEmpty();
            }
        }
    }

    @Test
    void secondReusePortMasterOnTheSamePortIsRefused() {
        Path firstDir = Herd.newDir();
        try (Herd first = Herd.start(firstDir, Herd.runArgs(firstDir, "--workers", "2", "--mode", "reuseport"))) {
            int port = first.awaitPort();
            Path dir = Herd.newDir();
            List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--mode", "reuseport"));
            args.set(args.indexOf("0"), Integer.toString(port));
            try (Herd second = Herd.start(dir, args)) {
                assertThat(second.awaitExit(Duration.ofSeconds(30))).isEqualTo(3);
                Herd.assertOneLine(second.output(), "cannot listen on 127.0.0.1:" + port + ": port " + port + " is already in use");
                assertThat(second.events("worker.forked")).isEmpty();
                assertThat(second.processes()).isEmpty();
            }
            assertThat(first.process.isAlive()).isTrue();
        }
    }

    @Test
    void natModeWithoutNetAdminSaysWhatItNeedsAndTouchesNoRules() {
        // compared with what was there before: a master killed outright elsewhere on this host leaves its table
        String tablesBefore = Shell.run("nft", "list", "tables").output();
        Path dir = Herd.newDir();
        List<String> args = Herd.runArgs(dir, "--workers", "2", "--mode", "nat");
        // root without CAP_NET_ADMIN, as an unprivileged user would be
        try (Herd herd = Herd.start(dir, List.of("setpriv", "--bounding-set=-net_admin"), args, java.util.Map.of())) {
            assertThat(herd.awaitExit(Duration.ofSeconds(30))).isEqualTo(3);
            Herd.assertOneLine(herd.output(), "--mode nat changes the firewall's nat table and needs root (CAP_NET_ADMIN)");
            assertThat(herd.events("worker.forked")).isEmpty();
            assertThat(herd.processes()).isEmpty();
        }
        assertThat(Shell.run("nft", "list", "tables").output()).isEqualTo(tablesBefore);
    }

    @Test
    void missingSubcommandAndHelpAndVersion() {
        assertThat(Shell.run(Herd.LAUNCHER.toString(), "--help").output()).contains("Usage: herd", "run");
        assertThat(Shell.run(Herd.LAUNCHER.toString(), "run", "--help").output())
                .contains("--workers", "--ready-when", "--drain-timeout", "Exit codes");
        assertThat(Shell.run(Herd.LAUNCHER.toString(), "--version").output()).startsWith("herd ");
        Shell.Result none = Shell.run(Herd.LAUNCHER.toString());
        assertThat(none.code()).isEqualTo(2);
        Herd.assertOneLine(none.output(), "missing subcommand");
    }
}
