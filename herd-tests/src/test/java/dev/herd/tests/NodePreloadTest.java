package dev.herd.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
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
 * Herd the preload changes nothing.
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
            Wrk.Result result;
            List<Long> durations = new ArrayList<>();
            try (Wrk wrk = Wrk.start(port, 2, 32, Duration.ofSeconds(300), dir)) {
                wrk.awaitRunning();
                for (int i = 0; i < RELOADS; i++) {
                    long started = System.nanoTime();
                    Shell.Result reload = herd.cli("reload");
                    durations.add((System.nanoTime() - started) / 1_000_000);
                    assertThat(reload.code()).as(reload.output()).isZero();
                    assertThat(reload.output()).contains("reload done: generation " + (i + 2));
                }
                result = wrk.stop();
            }
            System.out.println("[node-preload] " + RELOADS + " reloads (ms each: " + durations + "), wrk -t2 -c32: "
                    + result);
            assertThat(result.requests()).isPositive();
            assertThat(result.socketErrors()).as("socket errors\n" + result.output()).isZero();
            assertThat(result.non2xx()).as("non-2xx\n" + result.output()).isZero();
            assertThat(herd.events("reload.done")).hasSize(RELOADS);
            String logs = logs(dir);
            assertThat(logs).contains("herd-node: serving on the socket Herd handed over (fd 0, port " + port
                    + ") instead of binding port 3000").contains("herd-node: drained in").doesNotContain("cut off");
        }
    }

    @Test
    void withoutHerdThePreloadChangesNothing() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Path dir = Herd.newDir();
        Path log = dir.resolve("node.log");
        ProcessBuilder builder = new ProcessBuilder("node", "--require", PRELOAD.toString(), app())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("PORT", Integer.toString(port));
        builder.environment().keySet().removeIf(name -> name.startsWith("HERD_"));
        Process node = builder.start();
        try {
            int bound = port;
            Http.Response response = await("the app on its own port").atMost(Duration.ofSeconds(30))
                    .ignoreExceptions().until(() -> Http.get(bound, "/"), r -> r.status() == 200);
            assertThat(response.body()).startsWith("hello from node ");
            Shell.run("kill", "-TERM", Long.toString(node.pid()));
            assertThat(node.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(log)).doesNotContain("herd-node");
        } finally {
            node.destroyForcibly();
            Shell.run("rm", "-rf", dir.toString());
        }
    }

    private static String logs(Path dir) throws java.io.IOException {
        StringBuilder text = new StringBuilder();
        try (Stream<Path> files = Files.list(dir.resolve("state/logs"))) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList()) {
                text.append(Files.readString(file));
            }
        }
        return text.toString();
    }
}
