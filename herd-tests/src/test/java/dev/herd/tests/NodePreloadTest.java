package dev.herd.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, item 4: an unmodified Node HTTP app ({@code workers/plain_http_app.js}, which binds $PORT) run with
 * Herd's preload ({@code node --require herd-node/herd-node.js}) serves in shared mode, without a proxy hop,
 * through 20 reloads under {@code wrk -t2 -c32} keep-alive load with no socket error and no non-2xx answer; without
 * Herd the preload changes nothing. The same for an Express app, and for the chosen one of an app's two servers.
 */
class NodePreloadTest {
    static final int RELOADS = 20;
    static final Path PRELOAD = Herd.HOME.resolve("herd-node/herd-node.js");

    private static String app() {
        try {
            return Path.of(NodePreloadTest.class.getResource("/workers/plain_http_app.js").toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void twentyReloadsOfAPlainNodeAppUnderWrkLoseNothing() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--"));
        args.addAll(List.of("node", "--require", PRELOAD.toString(), app()));
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            herd.awaitReady(2, Duration.ofSeconds(30));
            ReloadUnderLoadTest.ReloadRun.underWrk(herd, dir, RELOADS, "node-preload", false);
            String logs = herd.workerLogs();
            assertThat(logs).contains("herd-node: serving on the socket Herd handed over (fd 0, port " + port
                    + ") instead of binding port 3000").contains("herd-node: drained in").doesNotContain("cut off")
                    // Herd's default --drain-timeout (30 s, told as HERD_DRAIN_TIMEOUT_MS) less 5 s
                    .contains("stop timeout=25000 ms");
        }
    }

    @Test
    void withoutHerdThePreloadChangesNothing() throws Exception {
        int port = Http.freePort();
        Path dir = Herd.newDir();
        Path log = dir.resolve("node.log");
        ProcessBuilder builder = new ProcessBuilder("node", "--require", PRELOAD.toString(), app())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("PORT", Integer.toString(port));
        builder.environment().keySet().removeIf(name -> name.startsWith("HERD_"));
        Process node = builder.start();
        try {
            Http.Response response = await("the app on its own port").atMost(Duration.ofSeconds(30))
                    .ignoreExceptions().until(() -> Http.get(port, "/"), r -> r.status() == 200);
            assertThat(response.body()).startsWith("hello from node ");
            Shell.run("kill", "-TERM", Long.toString(node.pid()));
            assertThat(node.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(log)).doesNotContain("herd-node");
        } finally {
            node.destroyForcibly();
            Shell.run("rm", "-rf", dir.toString());
        }
    }

    /**
     * An unmodified Express app (Express from npm, pinned in {@code src/test/node/package-lock.json}, installed with
     * {@code npm ci} into {@code target/test-node} on first use) behind the preload: served through reloads under
     * load with no error.
     */
    @Test
    void anExpressAppServesThroughReloadsUnderWrk() throws Exception {
        Path project = npmProject();
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--"));
        args.addAll(List.of("node", "--require", PRELOAD.toString(), project.resolve("express_app.js").toString()));
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            herd.awaitReady(2, Duration.ofSeconds(30));
            assertThat(Http.get(port, "/").body()).startsWith("hello from express ");
            Wrk.Result result;
            try (Wrk wrk = Wrk.start(port, 2, 32, Duration.ofSeconds(300), dir)) {
                wrk.awaitRunning();
                ReloadUnderLoadTest.ReloadRun.reloads(herd, 5);
                result = wrk.stop();
            }
            System.out.println("[node-preload express] 5 reloads, wrk -t2 -c32: " + result);
            assertThat(result.requests()).isPositive();
            assertThat(result.socketErrors()).as("socket errors\n" + result.output()).isZero();
            assertThat(result.non2xx()).as("non-2xx\n" + result.output()).isZero();
        } finally {
            Shell.run("rm", "-rf", dir.toString());
        }
    }

    /**
     * The cluster's socket is one open file description shared by every worker, its O_NONBLOCK flag included. Node
     * makes fds 0-2 blocking again when it exits if they were blocking when it started, as they were for the first
     * workers: that switched the socket to blocking under the workers still serving, whose event loops then hung in
     * accept() (a 10 s stall and reset connections in the memory-recycle benchmark). The preload detaches fd 0
     * first: after each slot's first worker has been replaced and has exited, the socket is still non-blocking.
     */
    @Test
    void anExitingWorkerLeavesTheSharedSocketNonBlockingForTheOthers() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--"));
        args.addAll(List.of("node", "--require", PRELOAD.toString(), app()));
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            List<Long> first = herd.awaitReady(2, Duration.ofSeconds(30));
            assertThat(nonBlocking(first.getFirst())).as("the socket once the workers listen").isTrue();
            for (int slot = 0; slot < 2; slot++) {
                assertThat(herd.cli("restart", "slot", Integer.toString(slot)).code()).isZero();
            }
            herd.awaitExited(first, Duration.ofSeconds(30), "the first workers");
            List<Long> serving = herd.liveReadyPids();
            assertThat(serving).hasSize(2).doesNotContainAnyElementsOf(first);
            for (long pid : serving) {
                assertThat(nonBlocking(pid)).as("the socket as worker " + pid + " sees it").isTrue();
            }
            assertThat(Http.get(port, "/").status()).isEqualTo(200);
        }
    }

    /** Whether fd 0 of the process (the cluster's socket) is in non-blocking mode, from /proc/PID/fdinfo/0. */
    private static boolean nonBlocking(long pid) throws java.io.IOException {
        String flags = Files.readAllLines(Path.of("/proc", Long.toString(pid), "fdinfo", "0")).stream()
                .filter(line -> line.startsWith("flags:")).findFirst().orElseThrow().substring("flags:".length()).trim();
        return (Integer.parseInt(flags, 8) & 04000) != 0; // O_NONBLOCK
    }

    /** With HERD_NODE_PORT the listen() of that port gets the shared socket, not the app's first one. */
    @Test
    void herdNodePortPicksWhichListenGetsTheSocket() throws Exception {
        int metricsPort = Http.freePort();
        Path dir = Herd.newDir();
        Path app = Herd.HOME.resolve("herd-tests/src/test/node/two_servers_app.js");
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "1", "--"));
        args.addAll(List.of("node", "--require", PRELOAD.toString(), app.toString()));
        try (Herd herd = Herd.start(dir, args, java.util.Map.of("HERD_NODE_PORT", "8123", "PORT", "8123",
                "METRICS_PORT", Integer.toString(metricsPort)))) {
            int port = herd.awaitPort();
            herd.awaitReady(1, Duration.ofSeconds(30));
            assertThat(Http.get(port, "/").body()).startsWith("service ");
            assertThat(Http.get(metricsPort, "/").body()).startsWith("metrics ");
        } finally {
            Shell.run("rm", "-rf", dir.toString());
        }
    }

    /** {@code src/test/node} copied to {@code target/test-node} with its packages installed by {@code npm ci}. */
    private static synchronized Path npmProject() throws Exception {
        Path source = Herd.HOME.resolve("herd-tests/src/test/node");
        Path project = Herd.HOME.resolve("herd-tests/target/test-node");
        Files.createDirectories(project);
        try (Stream<Path> files = Files.list(source)) {
            for (Path file : files.toList()) {
                Files.copy(file, project.resolve(file.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (!Files.isDirectory(project.resolve("node_modules/express"))) {
            Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
                    .directory(project.toFile()).redirectErrorStream(true)
                    .redirectOutput(project.resolve("npm-ci.log").toFile()).start();
            try {
                assertThat(npm.waitFor(180, TimeUnit.SECONDS)).as("npm ci within 3 minutes").isTrue();
                assertThat(npm.exitValue()).as("npm ci: " + Files.readString(project.resolve("npm-ci.log"))).isZero();
            } finally {
                npm.destroyForcibly();
            }
        }
        return project;
    }
}
