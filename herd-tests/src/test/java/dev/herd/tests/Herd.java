package dev.herd.tests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;

/**
 * A real master started through the README's launcher ({@code bin/herd}), with its output in a file that the
 * test reads as structured events. Closing it kills every process it started, found by a tag in their environment.
 */
final class Herd implements AutoCloseable {
    static final Path HOME = Path.of(System.getProperty("herd.home", "../")).toAbsolutePath().normalize();
    static final Path LAUNCHER = HOME.resolve("bin/herd");
    static final Path LIB = HOME.resolve("herd-cli/target/lib");

    final Process process;
    final Path output;
    final Path dir;
    private final String tag;

    private Herd(Process process, Path output, Path dir, String tag) {
        this.process = process;
        this.output = output;
        this.dir = dir;
        this.tag = tag;
    }

    /** Starts {@code bin/herd ARGS} (ARGS built with {@link #runArgs}) in a fresh temporary directory. */
    static Herd start(Path dir, List<String> args) {
        return start(dir, args, Map.of());
    }

    static Herd start(Path dir, List<String> args, Map<String, String> extraEnv) {
        return start(dir, List.of(), args, extraEnv);
    }

    /** Starts {@code PREFIX... bin/herd ARGS}, e.g. with {@code ip netns exec NS} as the prefix. */
    static Herd start(Path dir, List<String> prefix, List<String> args, Map<String, String> extraEnv) {
        List<String> command = new ArrayList<>(prefix);
        command.add(LAUNCHER.toString());
        command.addAll(args);
        if (!args.isEmpty() && args.getFirst().equals("run") && !args.contains("--api-port") && !args.contains("--no-api")) {
            // the default API port (11987) is one per machine; a test's master takes a free one (STATE-DIR/api.url)
            command.addAll(prefix.size() + 2, List.of("--api-port", "0"));
        }
        Map<String, String> env = new java.util.HashMap<>(extraEnv);
        env.putIfAbsent("HERD_NO_BUILD", "1");
        return launch(dir, command, env);
    }

    /** Starts a command that embeds a master (library mode) as it is, tagged like the launcher's masters. */
    static Herd startEmbedded(Path dir, List<String> command) {
        return launch(dir, command, Map.of());
    }

    /** Starts the command with its output in {@code dir/master.out}, tagged so that {@link #close} finds all it started. */
    private static Herd launch(Path dir, List<String> command, Map<String, String> env) {
        String tag = UUID.randomUUID().toString();
        Path output = dir.resolve("master.out");
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().putAll(env);
        builder.environment().put("HERD_TEST_TAG", tag);
        try {
            return new Herd(builder.start(), output, dir, tag);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fresh temporary directory, removed when the test JVM exits ({@link TestDirs}). */
    static Path newDir() {
        return TestDirs.make();
    }

    /** The standard arguments for a cluster of the demo worker on a free loopback port. */
    static List<String> runArgs(Path dir, String... extra) {
        List<String> args = new ArrayList<>(List.of("run", "--host", "127.0.0.1", "--port", "0",
                "--state-dir", dir.resolve("state").toString()));
        args.addAll(List.of(extra));
        return args;
    }

    String output() {
        try {
            return Files.exists(output) ? Files.readString(output) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The text of every worker log ({@code worker-SLOT.log}) in this master's state directory, slot by slot. */
    String workerLogs() {
        StringBuilder text = new StringBuilder();
        try (java.util.stream.Stream<Path> files = Files.list(dir.resolve("state/logs"))) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList()) {
                text.append(Files.readString(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    List<LogEvent> events() {
        return output().lines().map(LogEvent::parse).flatMap(Optional::stream).toList();
    }

    List<LogEvent> events(String name) {
        return events().stream().filter(e -> e.name().equals(name)).toList();
    }

    LogEvent awaitEvent(Predicate<LogEvent> condition, Duration timeout, String what) {
        return await(what).atMost(timeout).pollInterval(Duration.ofMillis(25))
                .until(() -> events().stream().filter(condition).findFirst(), Optional::isPresent)
                .orElseThrow();
    }

    /** Waits until this master has seen every one of these workers exit (e.g. the ones a reload replaced). */
    void awaitExited(java.util.Collection<Long> pids, Duration timeout, String what) {
        await(what).atMost(timeout).pollInterval(Duration.ofMillis(25))
                .until(() -> events("worker.exited").stream().map(LogEvent::pid).toList().containsAll(pids));
    }

    /** Waits for the listening event and returns the port the master bound. */
    int awaitPort() {
        LogEvent listening = awaitEvent(e -> e.name().equals("cluster.listening"), Duration.ofSeconds(30),
                "cluster.listening in " + output);
        String address = listening.get("address");
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    /** Waits until {@code count} distinct slots have a ready worker that has not exited since; returns their pids. */
    List<Long> awaitReady(int count, Duration timeout) {
        return await("" + count + " ready workers").atMost(timeout).pollInterval(Duration.ofMillis(25))
                .until(this::liveReadyPids, pids -> pids.size() >= count);
    }

    /** Pids of workers whose last event is worker.ready (not exited since). */
    List<Long> liveReadyPids() {
        Map<Long, String> last = new java.util.LinkedHashMap<>();
        for (LogEvent event : events()) {
            if (event.fields().containsKey("pid")) {
                last.put(event.pid(), event.name());
            }
        }
        return last.entrySet().stream().filter(e -> e.getValue().equals("worker.ready")).map(Map.Entry::getKey).toList();
    }

    /** Runs {@code bin/herd COMMAND --state-dir THIS-STATE-DIR ARGS...} against this master and waits for it. */
    Shell.Result cli(String command, String... args) {
        List<String> line = new ArrayList<>(List.of(LAUNCHER.toString(), command, "--state-dir",
                dir.resolve("state").toString()));
        line.addAll(List.of(args));
        return Shell.run(line);
    }

    long pid() {
        return process.pid();
    }

    /** A refusal before start: exactly one line, {@code herd: ...}, that says {@code expected}. */
    static void assertOneLine(String output, String expected) {
        org.assertj.core.api.Assertions.assertThat(output.strip().lines().toList()).as("output: %s", output).hasSize(1);
        org.assertj.core.api.Assertions.assertThat(output).startsWith("herd: ").contains(expected);
    }

    void signal(String signal) {
        Shell.run("kill", "-" + signal, Long.toString(process.pid()));
    }

    int awaitExit(Duration timeout) {
        return await("master exit").atMost(timeout).pollInterval(Duration.ofMillis(25))
                .until(() -> process.isAlive() ? null : process.exitValue(), code -> code != null);
    }

    List<Long> processes() {
        return TaggedProcesses.find(tag);
    }

    @Override
    public void close() {
        TaggedProcesses.killAll(tag);
        process.destroyForcibly();
    }
}
