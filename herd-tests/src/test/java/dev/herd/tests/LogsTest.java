package dev.herd.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Worker logs: rotation under a chatty worker loses no line; {@code herd logs -f} and {@code GET /logs} follow live. */
class LogsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LINES = 200_000;

    @Test
    void rotationUnderChattyWorkersLosesNoLine() throws Exception {
        Path dir = Herd.newDir();
        // each worker prints LINES numbered lines as fast as the shell can, then "done", then idles
        String chatty = "i=0; while [ $i -lt " + LINES + " ]; do echo \"slot $HERD_WORKER_ID line $i\"; i=$((i+1)); done; "
                + "echo done; exec sleep 600";
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2", "--ready-when", "started",
                "--log-max-size", "64k", "--log-keep", "1000", "--", "/bin/sh", "-c", chatty))) {
            herd.awaitPort();
            Path logs = dir.resolve("state/logs");
            for (int slot = 0; slot < 2; slot++) {
                Path current = logs.resolve("worker-" + slot + ".log");
                await("slot " + slot + " done").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                        .until(() -> Files.exists(current) && Files.readString(current).endsWith("done\n"));
                List<String> all = new ArrayList<>();
                int rotatedFiles = 0;
                for (int i = 1000; i >= 1; i--) {
                    Path rotated = logs.resolve("worker-" + slot + ".log." + i);
                    if (Files.exists(rotated)) {
                        rotatedFiles++;
                        assertThat(Files.size(rotated)).as(rotated + " size").isLessThanOrEqualTo(64 * 1024);
                        all.addAll(Files.readAllLines(rotated));
                    }
                }
                all.addAll(Files.readAllLines(current));
                assertThat(rotatedFiles).as("rotations of slot " + slot).isGreaterThan(20);
                assertThat(all).as("lines of slot " + slot).hasSize(LINES + 1);
                for (int i = 0; i < LINES; i++) {
                    if (!all.get(i).equals("slot " + slot + " line " + i)) {
                        throw new AssertionError("slot " + slot + ": line " + i + " is '" + all.get(i) + "'");
                    }
                }
                assertThat(all.getLast()).isEqualTo("done");
                System.out.println("[logs] slot " + slot + ": " + all.size() + " lines in " + (rotatedFiles + 1) + " files");

                // the spool the worker appends to gave the copied part back to the disk
                Path spool = logs.resolve(".spool/worker-" + slot + ".out");
                long apparent = Files.size(spool);
                long allocated = Long.parseLong(Shell.run("stat", "-c", "%b*%B", spool.toString()).output().trim()
                        .split("\\*")[0]) * 512;
                assertThat(apparent).isGreaterThan(2_000_000);
                assertThat(allocated).as("blocks still used by the spool of slot " + slot).isLessThan(64 * 1024);
            }
        }
    }

    @Test
    void herdLogsFollowAndTheHttpStreamShowNewLinesLive() throws Exception {
        Path dir = Herd.newDir();
        String ticker = "n=0; while true; do echo \"tick $HERD_WORKER_ID $n\"; n=$((n+1)); sleep 0.2; done";
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2", "--ready-when", "started",
                "--restart-delay", "100ms", "--", "/bin/sh", "-c", ticker));
             HttpClient client = HttpClient.newHttpClient()) {
            herd.awaitPort();
            herd.awaitReady(2, Duration.ofSeconds(30));
            await("both slots logged").atMost(Duration.ofSeconds(30))
                    .until(() -> Files.exists(dir.resolve("state/logs/worker-1.log")));

            List<String> followed = new CopyOnWriteArrayList<>();
            Process follow = new ProcessBuilder(Herd.LAUNCHER.toString(), "logs", "0", "-f", "-n", "1",
                    "--state-dir", dir.resolve("state").toString()).redirectErrorStream(true).start();
            String url = Files.readString(dir.resolve("state/api.url")).trim();
            String key = Files.readString(dir.resolve("state/access.key")).trim();
            HttpResponse<InputStream> http = client.send(HttpRequest.newBuilder(URI.create(url + "/logs?slot=all&lines=1&follow=true"))
                    .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(http.statusCode()).isEqualTo(200);
            List<String> streamed = new CopyOnWriteArrayList<>();
            try {
                Thread.ofVirtual().start(() -> Lines.collect(follow.getInputStream(), followed));
                Thread.ofVirtual().start(() -> Lines.collect(http.body(), streamed));
                // new lines show up live, in order
                await("live ticks of slot 0").atMost(Duration.ofSeconds(30)).until(() -> followed.size() >= 5);
                List<Integer> ticks = followed.stream().map(l -> Integer.parseInt(l.split(" ")[2])).toList();
                assertThat(followed).allMatch(l -> l.startsWith("tick 0 "));
                for (int i = 1; i < ticks.size(); i++) {
                    assertThat(ticks.get(i)).isEqualTo(ticks.get(i - 1) + 1);
                }
                await("live ticks of both slots over HTTP").atMost(Duration.ofSeconds(30)).until(() ->
                        streamed.stream().anyMatch(l -> l.startsWith("[0] tick 0 ")) && streamed.stream().anyMatch(l -> l.startsWith("[1] tick 1 ")));

                // a crash: the replacement's lines (counting from 0 again) follow on the same stream
                long victim = herd.liveReadyPids().stream().filter(pid -> slotOf(herd, pid) == 0).findFirst().orElseThrow();
                Shell.run("kill", "-9", Long.toString(victim));
                herd.awaitEvent(e -> e.name().equals("worker.ready") && e.get("slot").equals("0") && e.pid() != victim,
                        Duration.ofSeconds(30), "slot 0's replacement");
                await("the replacement's first line, live").atMost(Duration.ofSeconds(30))
                        .until(() -> followed.stream().skip(1).anyMatch(l -> l.equals("tick 0 0")));
            } finally {
                follow.destroyForcibly();
                follow.waitFor(10, TimeUnit.SECONDS);
                http.body().close();
            }

            // the logs command: last lines of a slot, as JSON
            Shell.Result last = herd.cli("exec", "logs", "1", "3");
            JsonNode lines = JSON.readTree(last.output()).path("result");
            assertThat(lines).hasSize(3);
            assertThat(lines.get(2).path("line").asText()).startsWith("tick 1 ");
            assertThat(lines.get(2).path("slot").asInt()).isEqualTo(1);
            // nothing a caller sends becomes a path
            for (String bad : List.of("../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "0/../../x", "-1", "99999", "7")) {
                HttpResponse<String> refused = client.send(HttpRequest.newBuilder(URI.create(url + "/logs?slot=" + bad))
                        .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofString());
                assertThat(refused.statusCode()).as("slot=" + bad).isEqualTo(400);
                assertThat(JSON.readTree(refused.body()).path("error").asText()).startsWith("logs: slot");
            }
        }
    }

    private static int slotOf(Herd herd, long pid) {
        return herd.events("worker.ready").stream().filter(e -> e.pid() == pid).findFirst()
                .map(e -> Integer.parseInt(e.get("slot"))).orElse(-1);
    }

}
