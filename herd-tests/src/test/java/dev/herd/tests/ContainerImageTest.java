package dev.herd.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 18, item 4: the container image of herd-examples/container, built by its own script
 * ({@code build-image}: a jlink runtime, the jars, the launcher) with the container engine on this machine, and run
 * with its default command (the demo): the master is the container's PID 1, the cluster answers on the published
 * port from as many worker processes as it was given, and SIGTERM to the container's PID 1 (what {@code docker stop}
 * sends) lets a request in flight finish, stops every worker and ends the container with exit code 0. Issue 19:
 * {@code herd top} and {@code herd console} work inside it ({@code podman exec -it}, in tmux).
 *
 * <p>Needs podman (or docker with a running daemon) and a Debian base image: {@code debian:bookworm-slim} when the
 * engine has it, else {@code localhost/herd-base:bookworm-slim}, which the test makes with {@code make-base-image}
 * (mmdebstrap, root, a Debian mirror; a minute or two, once) where it is missing. Skipped, saying what is missing,
 * otherwise. {@code HERD_TEST_IMAGE_BASE} names another base. The build reuses the engine's layer cache: after the
 * first run, only the layers whose files changed are built again.
 */
@Tag("distribution")
class ContainerImageTest {
    private static final Path CONTAINER = Herd.HOME.resolve("herd-examples/container");
    /** This run's image; {@link #LATEST} names the last one built here, which keeps its layers in the engine's cache. */
    private static final String IMAGE = "localhost/herd-test:" + UUID.randomUUID();
    private static final String LATEST = "localhost/herd-test:latest";
    private static final int WORKERS = 3;

    private static String engine;
    private static final List<String> engineEnv = new ArrayList<>();

    @BeforeAll
    static void buildImage() throws IOException {
        engine = findEngine();
        assumeThat(engine).as("a container engine: podman, or docker with a running daemon (apt-get install podman)")
                .isNotNull();
        String base = base();
        Shell.Result probe = engine("run", "--rm", base, "true");
        while (probe.code() != 0 && engine.equals("podman") && useWorkaround(probe.output())) {
            probe = engine("run", "--rm", base, "true");
        }
        assumeThat(probe.code()).as("%s runs a container of %s here: %s", engine, base, probe.output()).isZero();
        long started = System.nanoTime();
        List<String> build = new ArrayList<>(engineEnv);
        build.addAll(List.of(CONTAINER.resolve("build-image").toString(), "--engine", engine, "--base", base,
                "--tag", IMAGE));
        Shell.Result built = Shell.run(build);
        assertThat(built.code()).as(built.output()).isZero();
        Shell.Result tagged = engine("tag", IMAGE, LATEST);
        assertThat(tagged.code()).as(tagged.output()).isZero();
        System.out.printf("ContainerImageTest: image built in %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    @AfterAll
    static void removeTag() {
        if (engine != null) {
            engine("rmi", IMAGE); // only the name: the image stays as LATEST until a later run builds another
        }
    }

    @Test
    void servesFromItsWorkersAndDrainsOnSigtermToPid1() throws Exception {
        String name = "herd-test-" + UUID.randomUUID();
        Shell.Result started = engine("run", "-d", "--name", name, "-p", "127.0.0.1::8080", IMAGE,
                "run", "--workers", Integer.toString(WORKERS));
        try {
            assertThat(started.code()).as(started.output()).isZero();
            Shell.Result published = engine("port", name, "8080");
            assertThat(published.code()).as(published.output()).isZero();
            String address = published.output().strip().lines().findFirst().orElseThrow();
            int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));

            // one connection per request: the workers take turns at accepting, so every one answers in time
            Set<Long> pids = new TreeSet<>();
            await("answers from " + WORKERS + " distinct workers on port " + port).atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(20)).ignoreExceptions().until(() -> {
                        Http.Response response = Http.get(port, "/");
                        assertThat(response.status()).isEqualTo(200);
                        pids.add(response.pid());
                        return pids.size() >= WORKERS;
                    });
            Shell.Result status = engine("exec", name, "herd", "status");
            assertThat(status.code()).as(status.output()).isZero();
            assertThat(status.output()).as("herd status in the container").contains("master pid 1,");
            for (long pid : pids) {
                assertThat(status.output()).as("herd status lists worker %d", pid).containsPattern("(?m)^\\d+\\s+" + pid + "\\s+\\d+\\s+ready");
            }

            // a request in flight when PID 1 gets SIGTERM still gets its answer
            Http slow = new Http(port);
            slow.send("/slow?ms=3000", false);
            CompletableFuture<Http.Response> answer = CompletableFuture.supplyAsync(() -> {
                try (slow) {
                    return slow.read();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Thread.sleep(500); // a worker has taken the connection from the backlog
            Shell.Result killed = engine("kill", "--signal", "TERM", name);
            assertThat(killed.code()).as(killed.output()).isZero();
            Http.Response slowResponse = answer.get(30, TimeUnit.SECONDS);
            assertThat(slowResponse).as("an answer to the request in flight").isNotNull();
            assertThat(slowResponse.status()).as("the request in flight").isEqualTo(200);
            Shell.Result waited = engine("wait", name);
            assertThat(waited.output().strip()).as("the container's exit code").isEqualTo("0");
            String logs = engine("logs", name).output();
            assertThat(logs).contains("event=signal.received signal=TERM action=drain")
                    .contains("event=cluster.stopped exit_code=0");
            for (long pid : pids) {
                assertThat(logs).as("worker %d stopped", pid).containsPattern("event=worker.exited slot=\\d+ pid=" + pid
                        + " generation=1 code=0 reason=stopped");
            }
        } finally {
            engine("rm", "-f", name);
        }
    }

    /** {@code herd top} and {@code herd console} in a terminal, as an operator runs them: {@code podman exec -it}. */
    @Test
    void topAndTheConsoleWorkInsideTheContainer() throws Exception {
        String name = "herd-test-" + UUID.randomUUID();
        Shell.Result started = engine("run", "-d", "--name", name, IMAGE, "run", "--workers", "2");
        try {
            assertThat(started.code()).as(started.output()).isZero();
            java.util.regex.Pattern ready = java.util.regex.Pattern.compile("(?m)^\\d+\\s+(\\d+)\\s+\\d+\\s+ready");
            List<Long> pids = new ArrayList<>();
            await("two ready workers in the container").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        pids.clear();
                        java.util.regex.Matcher m = ready.matcher(engine("exec", name, "herd", "status").output());
                        while (m.find()) {
                            pids.add(Long.parseLong(m.group(1)));
                        }
                        return pids.size() == 2;
                    });
            String exec = String.join(" ", engineEnv) + (engineEnv.isEmpty() ? "" : " ") + engine + " exec -it " + name + " herd ";
            Duration shown = Duration.ofSeconds(30);
            try (Tmux tmux = Tmux.start(120, 32, Herd.newDir(), Tmux.restoredCheck(exec + "top", "top"))) {
                tmux.awaitScreen("herd top in the container: master pid 1 and its workers", shown, s ->
                        s.contains("master pid 1,") && pids.stream().allMatch(pid -> s.contains(" " + pid + " ")));
                tmux.keys("q");
                tmux.awaitEnded(shown);
                assertThat(tmux.screenAndHistory()).contains("top-exited=0").contains("terminal-restored");
            }
            try (Tmux tmux = Tmux.start(120, 32, Herd.newDir(), Tmux.restoredCheck(exec + "console", "console"))) {
                tmux.awaitScreen("the console's prompt", shown, s -> s.strip().endsWith("herd>"));
                tmux.type("status");
                tmux.keys("Enter");
                tmux.awaitScreen("status in the console", shown, s -> s.contains("master pid 1, port"));
                tmux.type("exit");
                tmux.keys("Enter");
                tmux.awaitEnded(shown);
                assertThat(tmux.screenAndHistory()).contains("console-exited=0").contains("terminal-restored");
            }
        } finally {
            engine("rm", "-f", name);
        }
    }

    /** podman, or docker when its daemon answers; null when neither runs here. */
    private static String findEngine() {
        for (String candidate : List.of("podman", "docker")) {
            try {
                if (Shell.run(candidate, "info").code() == 0) {
                    return candidate;
                }
            } catch (java.io.UncheckedIOException e) {
                // not installed
            }
        }
        return null;
    }

    /** The base image: HERD_TEST_IMAGE_BASE, Debian's, or one made from a Debian mirror (make-base-image). */
    private static String base() {
        String chosen = System.getenv("HERD_TEST_IMAGE_BASE");
        if (chosen != null && !chosen.isBlank()) {
            assumeThat(engine("image", "inspect", chosen).code()).as("the base image %s", chosen).isZero();
            return chosen;
        }
        for (String candidate : List.of("docker.io/library/debian:bookworm-slim", "localhost/herd-base:bookworm-slim")) {
            if (engine("image", "inspect", candidate).code() == 0) {
                return candidate;
            }
        }
        boolean mmdebstrap = Shell.run("sh", "-c", "command -v mmdebstrap").code() == 0;
        assumeThat(mmdebstrap && "root".equals(System.getProperty("user.name")))
                .as("no debian:bookworm-slim in %s and no way to make a base here: make-base-image needs root and"
                        + " mmdebstrap (apt-get install mmdebstrap)", engine).isTrue();
        System.out.println("ContainerImageTest: making the base image localhost/herd-base:bookworm-slim (once)");
        List<String> make = new ArrayList<>(engineEnv);
        make.addAll(List.of(CONTAINER.resolve("make-base-image").toString(), "--engine", engine));
        Shell.Result made = Shell.run(make);
        assertThat(made.code()).as(made.output()).isZero();
        return "localhost/herd-base:bookworm-slim";
    }

    private static boolean runc;
    private static boolean limits;

    /**
     * Where podman cannot start a container with its defaults, a containers.conf of the test's own (CONTAINERS_CONF,
     * nothing of the machine's changed) for the two cases met: a root without CAP_SYS_RESOURCE cannot give the
     * container the RLIMIT_NOFILE and RLIMIT_NPROC of 1048576 podman asks for by default (the conf asks for the
     * limits podman runs under itself: the hard NOFILE limit, and the NPROC of 32768 it sets for itself), and crun
     * refuses a cgroup v1/v2 hybrid hierarchy (runc takes it). Returns false when no workaround fits the failure.
     */
    private static boolean useWorkaround(String failure) throws IOException {
        if (!limits && failure.contains("setrlimit")) {
            limits = true;
        } else if (!runc && failure.contains("hybrid") && Shell.run("sh", "-c", "command -v runc").code() == 0) {
            runc = true;
        } else {
            return false;
        }
        StringBuilder conf = new StringBuilder();
        if (limits) {
            long nofile = hardLimit("Max open files");
            conf.append("[containers]\ndefault_ulimits = [\"nofile=").append(nofile).append(':').append(nofile)
                    .append("\", \"nproc=32768:32768\"]\n");
        }
        if (runc) {
            conf.append("[engine]\nruntime = \"runc\"\n");
        }
        Path file = Herd.newDir().resolve("containers.conf");
        Files.writeString(file, conf);
        engineEnv.clear();
        engineEnv.addAll(List.of("env", "CONTAINERS_CONF=" + file));
        System.out.println("ContainerImageTest: podman with " + file + ":\n" + conf);
        return true;
    }

    private static long hardLimit(String name) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith(name)) {
                return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[1]);
            }
        }
        throw new IllegalStateException("no " + name + " in /proc/self/limits");
    }

    private static Shell.Result engine(String... args) {
        List<String> command = new ArrayList<>(engineEnv);
        command.add(engine);
        command.addAll(List.of(args));
        return Shell.run(command);
    }
}
