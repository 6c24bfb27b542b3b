package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 19, item 3: {@code herd console} and {@code herd run --console} in a real terminal (tmux), typed into as a
 * person would: commands and their output, Tab completion, the history file, and the terminal given back.
 */
class ConsoleTest {
    private static final Duration SHOWN = Duration.ofSeconds(20);

    @Test
    void theConsoleRunsCommandsCompletesThemKeepsAPrivateHistoryAndGivesTheTerminalBack() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2"))) {
            herd.awaitReady(2, Duration.ofSeconds(60));
            try (Tmux tmux = Tmux.start(120, 40, dir, Tmux.restoredCheck(
                    Herd.LAUNCHER + " console --state-dir " + dir.resolve("state"), "console"))) {
                tmux.awaitScreen("the prompt", SHOWN, s -> lastLine(s).equals("herd>")); // tmux drops the trailing space
                tmux.type("status");
                tmux.keys("Enter");
                tmux.awaitScreen("status's answer", SHOWN, s -> s.contains("master pid " + herd.pid() + ", port"));

                tmux.type("rel");
                tmux.keys("Tab");
                tmux.awaitScreen("rel completed to reload", SHOWN, s -> lastLine(s).equals("herd> reload"));
                tmux.keys("Enter");
                tmux.awaitScreen("the reload done", Duration.ofSeconds(60), s -> s.contains("reload done: generation 2"));
                List<Long> pids = herd.liveReadyPids();

                tmux.type("restart slot ");
                tmux.keys("Tab");
                tmux.awaitScreen("the slots offered", SHOWN, s -> s.contains("0 (slot)") && s.contains("1 (slot)"));
                tmux.keys("C-u");
                tmux.type("workers");
                tmux.keys("Enter");
                tmux.awaitScreen("the workers of generation 2", SHOWN, s -> pids.stream().allMatch(pid -> s.contains(" " + pid + " ")));

                tmux.type("exit");
                tmux.keys("Enter");
                tmux.awaitEnded(SHOWN);
                assertThat(tmux.screenAndHistory()).contains("console-exited=0").contains("terminal-restored");
            }
            Path history = dir.resolve(".herd_history");
            assertThat(Files.getPosixFilePermissions(history)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(Files.readString(history)).contains(":status\n").contains(":reload\n").contains(":workers\n");
            assertThat(herd.process.isAlive()).as("the console's exit leaves the master running").isTrue();
        }
    }

    @Test
    void runWithTheConsoleTakesCommandsForItsOwnMasterAndStopsWithIt() {
        Path dir = Herd.newDir();
        String run = String.join(" ", Herd.runArgs(dir, "--workers", "1", "--api-port", "0", "--console"));
        try (Tmux tmux = Tmux.start(120, 40, dir, Tmux.restoredCheck(Herd.LAUNCHER + " " + run, "run"))) {
            tmux.awaitScreen("the prompt under the master's lines", Duration.ofSeconds(60),
                    s -> s.contains("event=worker.ready") && s.contains("\nherd>"));
            tmux.type("status");
            tmux.keys("Enter");
            tmux.awaitScreen("status's answer", SHOWN, s -> s.contains("generation 1") && s.contains("SLOT  PID"));
            tmux.type("stop");
            tmux.keys("Enter");
            tmux.awaitEnded(Duration.ofSeconds(60));
            assertThat(tmux.screenAndHistory()).contains("event=cluster.stopped").contains("run-exited=0").contains("terminal-restored");
        }
    }

    private static String lastLine(String screen) {
        List<String> lines = screen.lines().filter(line -> !line.isBlank()).toList();
        return lines.isEmpty() ? "" : lines.getLast().strip();
    }
}
