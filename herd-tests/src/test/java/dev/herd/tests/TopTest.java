package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 19, item 2: {@code herd top} in a real terminal (tmux), against a real master: the workers with their pids,
 * a reload from its key, the selection, requests per second under load, and the terminal given back as it was on
 * {@code q}.
 */
class TopTest {
    private static final Duration SHOWN = Duration.ofSeconds(20);

    @Test
    void topShowsTheWorkersReloadsOnItsKeyAndGivesTheTerminalBack() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2"))) {
            List<Long> first = herd.awaitReady(2, Duration.ofSeconds(60));
            try (Tmux tmux = Tmux.start(120, 32, dir, Tmux.restoredCheck(
                    Herd.LAUNCHER + " top --state-dir " + dir.resolve("state"), "top"))) {
                String screen = tmux.awaitScreen("the workers with their pids", SHOWN, s -> s.contains("generation 1")
                        && first.stream().allMatch(pid -> s.contains(" " + pid + " ")) && s.contains("worker.ready"));
                assertThat(screen).contains("master pid " + herd.pid()).contains("-- events").contains("-- log of slot 0")
                        .contains("r: reload");

                tmux.keys("j");
                tmux.awaitScreen("slot 1 selected, its log below", SHOWN, s -> s.contains("-- log of slot 1")
                        && s.contains("herd-demo slot=1"));
                tmux.keys("x");
                tmux.awaitScreen("the restart's question", SHOWN, s -> s.contains("Restart slot 1"));
                tmux.keys("n");
                tmux.awaitScreen("the restart cancelled", SHOWN, s -> s.contains("restart cancelled"));

                tmux.keys("r");
                tmux.awaitScreen("the reload's question", SHOWN, s -> s.contains("Reload every worker") && s.contains("y/n"));
                tmux.keys("y");
                screen = tmux.awaitScreen("generation 2 with new pids", Duration.ofSeconds(60), s -> s.contains("generation 2,")
                        && s.contains("reload done: generation 2") && s.contains("reload.done"));
                List<Long> second = herd.liveReadyPids();
                assertThat(second).hasSize(2).doesNotContainAnyElementsOf(first);
                tmux.awaitScreen("the new pids", SHOWN, s -> second.stream().allMatch(pid -> s.contains(" " + pid + " ")));

                tmux.keys("q");
                tmux.awaitEnded(SHOWN);
                screen = tmux.screenAndHistory();
                assertThat(screen).contains("top-exited=0").contains("terminal-restored")
                        .as("the alternate screen is left").doesNotContain("-- events");
            }
            assertThat(herd.process.isAlive()).isTrue();

            // the same over the HTTP API, the key from the environment
            String url = java.nio.file.Files.readString(dir.resolve("state/api.url")).strip();
            String key = java.nio.file.Files.readString(dir.resolve("state/access.key")).strip();
            List<Long> now = herd.liveReadyPids();
            try (Tmux tmux = Tmux.start(120, 32, dir, Tmux.restoredCheck("HERD_ACCESS_KEY=" + key + " " + Herd.LAUNCHER
                    + " top --url " + url, "top"))) {
                tmux.awaitScreen("the workers over --url", SHOWN, s -> s.contains("herd top, " + url)
                        && now.stream().allMatch(pid -> s.contains(" " + pid + " ")) && s.contains("reload.done"));
                // requests per second: a client sends requests (at most 20 s) until a worker's REQ/S is above 0
                java.util.concurrent.atomic.AtomicBoolean seen = new java.util.concurrent.atomic.AtomicBoolean();
                int port = herd.awaitPort();
                Thread load = Thread.ofVirtual().start(() -> {
                    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                    while (!seen.get() && System.nanoTime() < end) {
                        try {
                            Http.get(port, "/");
                        } catch (java.io.IOException e) {
                            // counted or not, the next one goes
                        }
                    }
                });
                try {
                    tmux.awaitScreen("a worker's requests per second", SHOWN, s -> s.lines().anyMatch(line ->
                            now.stream().anyMatch(pid -> line.contains(" " + pid + " ")) && requestsPerSecond(line) > 0));
                } finally {
                    seen.set(true);
                    load.join();
                }
                tmux.keys("C-c");
                tmux.awaitEnded(SHOWN);
                assertThat(tmux.screenAndHistory()).contains("top-exited=0").contains("terminal-restored");
            }
        }
    }

    /** A worker row's REQ/S: the number before its CPU bar ({@code ... 0   12.3 [||  1.0%] ...}); -1 when none. */
    private static double requestsPerSecond(String line) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\s(\\d+(?:\\.\\d)?)(k?)\\s\\[").matcher(line);
        if (!m.find()) {
            return -1;
        }
        return Double.parseDouble(m.group(1)) * (m.group(2).isEmpty() ? 1 : 1000);
    }

    @Test
    void withoutATerminalTopSaysSoInOneLine() {
        Path dir = Herd.newDir();
        Shell.Result result = Shell.run(Herd.LAUNCHER.toString(), "top", "--state-dir", dir.resolve("state").toString());
        assertThat(result.code()).isEqualTo(2);
        Herd.assertOneLine(result.output(), "top needs a terminal");
    }
}
