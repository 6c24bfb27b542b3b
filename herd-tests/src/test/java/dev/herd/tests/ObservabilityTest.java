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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The event stream (SSE and {@code herd events -f}) shows a crash live; {@code /metrics} parses and matches {@code herd workers}. */
class ObservabilityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @Test
    void aCrashShowsUpLiveOnTheSseStreamAndInHerdEventsFollow() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2"));
             HttpClient client = HttpClient.newHttpClient()) {
            herd.awaitPort();
            herd.awaitReady(2, Duration.ofSeconds(60));
            String url = Files.readString(dir.resolve("state/api.url")).trim();
            String key = Files.readString(dir.resolve("state/access.key")).trim();

            List<String> sse = new CopyOnWriteArrayList<>();
            HttpResponse<InputStream> stream = client.send(HttpRequest.newBuilder(URI.create(url + "/events"))
                    .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(stream.statusCode()).isEqualTo(200);
            assertThat(stream.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
            Thread sseReader = Thread.ofVirtual().start(() -> Lines.collect(stream.body(), sse));

            List<String> cli = new CopyOnWriteArrayList<>();
            Process follow = new ProcessBuilder(Herd.LAUNCHER.toString(), "events", "-f", "--json", "-n", "1",
                    "--state-dir", dir.resolve("state").toString()).redirectErrorStream(true).start();
            try {
                Thread cliReader = Thread.ofVirtual().start(() -> Lines.collect(follow.getInputStream(), cli));
                await("herd events -f printed the last event").atMost(Duration.ofSeconds(30)).until(() -> !cli.isEmpty());

                long victim = herd.liveReadyPids().getFirst();
                Shell.run("kill", "-9", Long.toString(victim));
                String exited = "\"event\":\"worker.exited\"";
                await("the crash on both streams").atMost(Duration.ofSeconds(30)).until(() ->
                        sse.stream().anyMatch(l -> l.startsWith("data: ") && l.contains(exited) && l.contains("\"pid\":" + victim))
                                && cli.stream().anyMatch(l -> l.contains(exited) && l.contains("\"pid\":" + victim)));
                JsonNode crash = JSON.readTree(cli.stream().filter(l -> l.contains(exited)).findFirst().orElseThrow());
                assertThat(crash.path("reason").asText()).isEqualTo("crash");
                assertThat(crash.path("signal").asText()).isEqualTo("KILL");
                // the SSE frame carries the id and the event name too
                int data = indexOf(sse, l -> l.startsWith("data: ") && l.contains(exited));
                assertThat(sse.get(data - 1)).isEqualTo("event: worker.exited");
                assertThat(sse.get(data - 2)).isEqualTo("id: " + crash.path("id").asLong());
                await("the replacement on the stream").atMost(Duration.ofSeconds(30)).until(() ->
                        cli.stream().anyMatch(l -> l.contains("\"event\":\"worker.ready\"")));
                sseReader.interrupt();
                cliReader.interrupt();
            } finally {
                follow.destroyForcibly();
                follow.waitFor(10, TimeUnit.SECONDS);
                stream.body().close(); // else closing the client would wait for the endless stream
            }
            // a client that reconnects with Last-Event-ID gets what it missed first
            HttpResponse<InputStream> replay = client.send(HttpRequest.newBuilder(URI.create(url + "/events"))
                    .header("Authorization", "Bearer " + key).header("Last-Event-ID", "1").GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(replay.body(), StandardCharsets.UTF_8))) {
                List<String> firstFrames = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    firstFrames.add(reader.readLine());
                }
                assertThat(firstFrames).as("the frames replayed after id 1").contains("id: 2", "id: 3");
            } finally {
                replay.body().close();
            }
        }
    }

    /**
     * The dashboard's stream: {@code /events?samples=true} opens with every sample kept, then brings the ones taken
     * since every 30 s (when the sampler has taken its sixth since the last push), in place of the keep-alive comment.
     */
    @Test
    void withSamplesTheStreamBringsTheResourceSamplesFirstAllThenTheNewOnes() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2"));
             HttpClient client = HttpClient.newHttpClient()) {
            List<Long> pids = herd.awaitReady(2, Duration.ofSeconds(60));
            String url = Files.readString(dir.resolve("state/api.url")).trim();
            String key = Files.readString(dir.resolve("state/access.key")).trim();
            await("two samples taken (one every 5 s)").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> JSON.readTree(herd.cli("exec", "samples").output()).path("result").path("samples").size() >= 2);

            HttpResponse<InputStream> stream = client.send(HttpRequest.newBuilder(URI.create(url + "/events?samples=true"))
                    .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(stream.statusCode()).isEqualTo(200);
            List<String> sse = new CopyOnWriteArrayList<>();
            Thread reader = Thread.ofVirtual().start(() -> Lines.collect(stream.body(), sse));
            try {
                await("the first samples message").atMost(Duration.ofSeconds(10)).until(() -> samplesMessages(sse).size() >= 1);
                JsonNode first = samplesMessages(sse).getFirst();
                assertThat(first.path("intervalMillis").asLong()).isEqualTo(5000);
                assertThat(first.path("samples").size()).as("every sample kept").isGreaterThanOrEqualTo(2);
                JsonNode newest = first.path("samples").get(first.path("samples").size() - 1);
                List<Long> sampled = new ArrayList<>();
                newest.path("workers").forEach(w -> sampled.add(w.path("pid").asLong()));
                assertThat(sampled).containsExactlyInAnyOrderElementsOf(pids);
                assertThat(sse).as("a samples message has no id: Last-Event-ID stays the events'")
                        .noneMatch(l -> l.startsWith("id: "));

                // the sampler wakes the stream every 6th sample (30 s), whenever the stream was opened
                await("the next samples message, within 30 s").atMost(Duration.ofSeconds(40)).until(() -> samplesMessages(sse).size() >= 2);
                JsonNode second = samplesMessages(sse).get(1);
                assertThat(second.path("samples").size()).as("the samples taken since (at most 30 s)").isBetween(1, 7);
                assertThat(second.path("samples").get(0).path("time").asLong()).as("only newer ones")
                        .isGreaterThan(newest.path("time").asLong());
                reader.interrupt();
            } finally {
                stream.body().close();
            }
        }
    }

    private static List<JsonNode> samplesMessages(List<String> sse) throws IOException {
        List<JsonNode> messages = new ArrayList<>();
        for (int i = 1; i < sse.size(); i++) {
            if (sse.get(i - 1).equals("event: samples") && sse.get(i).startsWith("data: ")) {
                messages.add(JSON.readTree(sse.get(i).substring(6)));
            }
        }
        return messages;
    }

    private static int indexOf(List<String> lines, java.util.function.Predicate<String> match) {
        for (int i = 0; i < lines.size(); i++) {
            if (match.test(lines.get(i))) {
                return i;
            }
        }
        return -1;
    }


    @Test
    void metricsParseWithPrometheusOwnParserAndMatchTheWorkersCommand() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "3", "--restart-delay", "100ms"));
             HttpClient client = HttpClient.newHttpClient()) {
            herd.awaitPort();
            herd.awaitReady(3, Duration.ofSeconds(60));
            // one crash (a restart) and one reload, so that every family has samples
            long victim = herd.liveReadyPids().getFirst();
            Shell.run("kill", "-9", Long.toString(victim));
            herd.awaitEvent(e -> e.name().equals("worker.ready") && e.pid() != victim && herd.events("worker.exited").size() == 1,
                    Duration.ofSeconds(30), "the replacement");
            assertThat(herd.cli("reload").code()).isZero();
            await("retired workers gone").atMost(Duration.ofSeconds(30))
                    .until(() -> herd.events("worker.exited").size() == 4);

            String url = Files.readString(dir.resolve("state/api.url")).trim();
            String key = Files.readString(dir.resolve("state/access.key")).trim();
            int port = herd.awaitPort();
            for (int i = 0; i < 30; i++) {
                assertThat(Http.get(port, "/").status()).isEqualTo(200);
            }
            // the demo workers report their counters on their channel once a second
            await("the workers' request counters").atMost(Duration.ofSeconds(30)).until(() ->
                    workers(herd).findValues("requests").stream().mapToLong(JsonNode::asLong).sum() >= 30);
            JsonNode before = workers(herd);
            HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(URI.create(url + "/metrics"))
                    .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofString());
            JsonNode after = workers(herd);
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");

            Map<String, List<JsonNode>> samples = parse(metrics.body());
            assertThat(samples.get("herd_slots").getFirst().path("value").asDouble()).isEqualTo(3);
            assertThat(samples.get("herd_generation").getFirst().path("value").asDouble()).isEqualTo(2);
            assertThat(before).hasSize(3);
            for (JsonNode w : before) {
                String pid = w.path("pid").asText();
                String slot = w.path("slot").asText();
                JsonNode info = one(samples, "herd_worker_info", pid);
                assertThat(info.path("labels").path("slot").asText()).isEqualTo(slot);
                assertThat(info.path("labels").path("state").asText()).isEqualTo(w.path("state").asText());
                assertThat(info.path("labels").path("generation").asText()).isEqualTo(w.path("generation").asText());
                assertThat(one(samples, "herd_worker_generation", pid).path("value").asInt()).isEqualTo(w.path("generation").asInt());
                JsonNode later = byPid(after, pid);
                double rss = one(samples, "herd_worker_resident_memory_bytes", pid).path("value").asDouble();
                assertThat(rss).as("RSS of " + pid).isBetween(Math.min(w.path("rssBytes").asDouble(), later.path("rssBytes").asDouble()) * 0.9,
                        Math.max(w.path("rssBytes").asDouble(), later.path("rssBytes").asDouble()) * 1.1).isPositive();
                double cpu = one(samples, "herd_worker_cpu_seconds_total", pid).path("value").asDouble();
                assertThat(cpu).as("CPU of " + pid).isBetween(w.path("cpuSeconds").asDouble(), later.path("cpuSeconds").asDouble()).isPositive();
                double uptime = one(samples, "herd_worker_uptime_seconds", pid).path("value").asDouble();
                assertThat(uptime * 1000).as("uptime of " + pid).isBetween(w.path("uptimeMillis").asDouble(), later.path("uptimeMillis").asDouble());
                double requests = one(samples, "herd_worker_requests_total", pid).path("value").asDouble();
                assertThat(requests).as("requests of " + pid).isBetween(w.path("requests").asDouble(), later.path("requests").asDouble());
                double restarts = samples.get("herd_slot_restarts_total").stream()
                        .filter(s -> s.path("labels").path("slot").asText().equals(slot)).findFirst().orElseThrow().path("value").asDouble();
                assertThat(restarts).as("restarts of slot " + slot).isEqualTo(w.path("restarts").asDouble());
            }
            assertThat(before.findValues("restarts").stream().mapToInt(JsonNode::asInt).sum()).isEqualTo(1);
            assertThat(samples.get("herd_worker_exits_total")).anySatisfy(s -> {
                assertThat(s.path("labels").path("reason").asText()).isEqualTo("crash");
                assertThat(s.path("value").asDouble()).isEqualTo(1);
            });
            assertThat(samples.get("herd_worker_exits_total")).anySatisfy(s -> {
                assertThat(s.path("labels").path("reason").asText()).isEqualTo("stopped");
                assertThat(s.path("value").asDouble()).isEqualTo(3);
            });
            assertThat(samples.get("herd_reload_duration_seconds_count")).singleElement().satisfies(s -> {
                assertThat(s.path("labels").path("kind").asText()).isEqualTo("reload");
                assertThat(s.path("labels").path("outcome").asText()).isEqualTo("ok");
                assertThat(s.path("value").asDouble()).isEqualTo(1);
            });
            assertThat(samples.get("herd_reload_duration_seconds_bucket")).hasSize(10);
            // the API counts its own requests (this one is counted after it was answered)
            HttpResponse<String> again = client.send(HttpRequest.newBuilder(URI.create(url + "/metrics"))
                    .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(parse(again.body()).get("herd_api_requests_total")).anySatisfy(s -> {
                assertThat(s.path("labels").path("route").asText()).isEqualTo("metrics");
                assertThat(s.path("labels").path("code").asText()).isEqualTo("200");
                assertThat(s.path("value").asDouble()).isGreaterThanOrEqualTo(1);
            });
        }
    }

    private static JsonNode workers(Herd herd) throws IOException {
        Shell.Result result = herd.cli("workers", "--json");
        assertThat(result.code()).as(result.output()).isZero();
        return JSON.readTree(result.output()).path("result");
    }

    private static JsonNode byPid(JsonNode workers, String pid) {
        for (JsonNode w : workers) {
            if (w.path("pid").asText().equals(pid)) {
                return w;
            }
        }
        throw new AssertionError("no worker " + pid + " in " + workers);
    }

    private static JsonNode one(Map<String, List<JsonNode>> samples, String name, String pid) {
        List<JsonNode> matching = samples.getOrDefault(name, List.of()).stream()
                .filter(s -> s.path("labels").path("pid").asText().equals(pid)).toList();
        assertThat(matching).as(name + " for pid " + pid).hasSize(1);
        return matching.getFirst();
    }

    /** Samples by name, as the Prometheus client library's parser reads them (it fails on malformed text). */
    private static Map<String, List<JsonNode>> parse(String text) throws Exception {
        Path script = Path.of(ObservabilityTest.class.getResource("/tools/prom_parse.py").toURI());
        Process parser = new ProcessBuilder(PYTHON.toString(), script.toString()).redirectErrorStream(true).start();
        parser.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        parser.getOutputStream().close();
        String out = new String(parser.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(parser.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(parser.exitValue()).as("prometheus_client's parser on:\n" + text + "\nsaid:\n" + out).isZero();
        Map<String, List<JsonNode>> samples = new HashMap<>();
        for (String line : out.lines().toList()) {
            JsonNode node = JSON.readTree(line);
            if (node.has("name")) {
                samples.computeIfAbsent(node.path("name").asText(), k -> new ArrayList<>()).add(node);
            }
        }
        return samples;
    }
}
