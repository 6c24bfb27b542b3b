package dev.herd.tests;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * A terminal for a test: a detached tmux session of a fixed size, on a tmux server of its own (its own socket, no
 * configuration file), running one shell command line. The test types with {@link #keys} and {@link #type} and reads
 * the screen with {@link #screen}, as a person would. The command line runs with HERD_TEST_TAG set, so closing kills
 * every process it started (a master of {@code herd run --console} and its workers too), then the tmux server.
 */
final class Tmux implements AutoCloseable {
    static final String SESSION = "herd";
    private final String server = "herd-test-" + UUID.randomUUID();
    private final String tag = UUID.randomUUID().toString();

    private Tmux() {
    }

    /**
     * Runs {@code bash -c SCRIPT} in a new session of this many columns and rows; the pane stays after the script ends
     * ({@code remain-on-exit}), so that its last screen can be read and {@link #ended} seen.
     */
    static Tmux start(int columns, int rows, Path dir, String script) {
        org.assertj.core.api.Assumptions.assumeThat(java.nio.file.Files.isExecutable(Path.of("/usr/bin/tmux")))
                .as("tmux (apt-get install tmux) runs herd top and herd console in a terminal").isTrue();
        Tmux tmux = new Tmux();
        String line = "cd '" + dir + "' && exec env HERD_NO_BUILD=1 HERD_TEST_TAG=" + tmux.tag + " HOME='" + dir
                + "' bash --norc --noprofile -c " + quote(script);
        tmux.run("new-session", "-d", "-s", SESSION, "-x", Integer.toString(columns), "-y", Integer.toString(rows), line,
                ";", "set-option", "-t", SESSION, "remain-on-exit", "on");
        return tmux;
    }

    /** The shell's part that checks the terminal is given back as it was: prints {@code terminal-restored} if so. */
    static String restoredCheck(String command, String name) {
        return "S=$(stty -g); " + command + "; echo " + name + "-exited=$?; [ \"$(stty -g)\" = \"$S\" ] && echo terminal-restored";
    }

    /** Presses keys by tmux's names ({@code Up}, {@code Enter}, {@code Tab}, {@code C-c}) or as characters. */
    void keys(String... keys) {
        List<String> args = new ArrayList<>(List.of("send-keys", "-t", SESSION));
        args.addAll(List.of(keys));
        run(args.toArray(String[]::new));
    }

    /** Types the text literally. */
    void type(String text) {
        run("send-keys", "-t", SESSION, "-l", text);
    }

    /** What the pane shows now, line by line. */
    String screen() {
        return run("capture-pane", "-p", "-t", SESSION);
    }

    /**
     * The screen with the lines scrolled above it (the last 200): what a program printed after leaving the alternate
     * screen may have scrolled there, depending on where the terminal put the cursor back.
     */
    String screenAndHistory() {
        return run("capture-pane", "-p", "-S", "-200", "-t", SESSION);
    }

    /** Waits until the screen satisfies the condition and returns it; the failure shows the last screen. */
    String awaitScreen(String what, Duration timeout, Predicate<String> condition) {
        String[] last = {""};
        try {
            return org.awaitility.Awaitility.await(what).atMost(timeout).pollInterval(Duration.ofMillis(100))
                    .until(() -> last[0] = screen(), condition);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(what + " did not show within " + timeout + "; the screen:\n" + last[0], e);
        }
    }

    /** Whether the pane's program (the shell running the script) has ended. */
    boolean ended() {
        return run("display-message", "-p", "-t", SESSION, "#{pane_dead}").strip().equals("1");
    }

    void awaitEnded(Duration timeout) {
        org.awaitility.Awaitility.await("the pane's program ends").atMost(timeout).pollInterval(Duration.ofMillis(100)).until(this::ended);
    }

    private String run(String... args) {
        List<String> command = new ArrayList<>(List.of("tmux", "-L", server, "-f", "/dev/null"));
        command.addAll(List.of(args));
        Shell.Result result = Shell.run(command);
        if (result.code() != 0) {
            throw new IllegalStateException("tmux " + String.join(" ", args) + " failed: " + result.output());
        }
        return result.output();
    }

    private static String quote(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }

    @Override
    public void close() {
        TaggedProcesses.killAll(tag);
        Shell.run("tmux", "-L", server, "kill-server");
    }
}
