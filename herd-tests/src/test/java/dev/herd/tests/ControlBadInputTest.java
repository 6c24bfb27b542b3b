package dev.herd.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * 1,000 malformed requests to the HTTP API (bad JSON, huge bodies, unknown paths and commands, bad arguments,
 * path traversal in logs, wrong methods) each get a 4xx with a clear message; the master keeps serving and its
 * memory stays flat. Malformed lines on the local socket get an error each and keep the connection usable.
 */
class ControlBadInputTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Bad(String method, String path, String body, int status, String message) {
    }

    private static List<Bad> cases() {
        String huge = "{\"args\":[\"" + "x".repeat(2 * 1024 * 1024) + "\"]}";
        return List.of(
                new Bad("POST", "/api/status", "{", 400, "body is not valid JSON"),
                new Bad("POST", "/api/reload", "[1,2,3]", 400, "body must be a JSON object"),
                new Bad("POST", "/api/help", "nul", 400, "body is not valid JSON"),
                new Bad("POST", "/api/ecv", "{\"args\":\"disable\"}", 400, "\"args\" must be an array of strings"),
                new Bad("POST", "/api/ecv", "{\"args\":[{\"a\":1}]}", 400, "\"args\" must hold only strings"),
                new Bad("POST", "/api/status", huge, 413, "body is larger than"),
                new Bad("GET", "/api/no-such-command", null, 404, "unknown command 'no-such-command'"),
                new Bad("POST", "/api/x/y", "{}", 404, "no such endpoint /api/x/y"),
                new Bad("GET", "/nothing/here", null, 404, "no such endpoint /nothing/here"),
                new Bad("GET", "/api/", null, 404, "no such endpoint /api/"),
                new Bad("POST", "/api/restart", "{\"args\":[\"slot\",\"x\"]}", 400, "'x' is not a slot number"),
                new Bad("POST", "/api/restart", "{\"args\":[\"slot\",\"99\"]}", 400, "there is no slot 99"),
                new Bad("POST", "/api/restart", "{}", 400, "restart needs a target"),
                new Bad("POST", "/api/shutdown", "{\"args\":[\"pid\",\"abc\"]}", 400, "'abc' is not a pid number"),
                new Bad("POST", "/api/shutdown", "{\"args\":[\"all\",\"soon\"]}", 400, "drain-timeout: 'soon' is not a duration"),
                new Bad("POST", "/api/scale", "{\"args\":[\"-1\"]}", 400, "'-1' is not a count from 1 to 1024"),
                new Bad("POST", "/api/scale", "{\"args\":[\"2\",\"3\"]}", 400, "scale needs one number"),
                new Bad("POST", "/api/ecv", "{\"args\":[\"sideways\"]}", 400, "'sideways' is not enable or disable"),
                new Bad("POST", "/api/help", "{\"args\":[\"nope\"]}", 400, "no command 'nope'"),
                new Bad("POST", "/api/events", "{\"args\":[\"0\"]}", 400, "'0' is not a count from 1 to 1000"),
                new Bad("POST", "/api/reload", "{\"args\":[\"now\"]}", 400, "reload takes no arguments"),
                new Bad("POST", "/api/samples", "{\"args\":[\"since\",\"5\"]}", 400, "samples takes nothing or after TIME"),
                new Bad("POST", "/api/samples", "{\"args\":[\"after\",\"soon\"]}", 400, "'soon' is not a time number"),
                new Bad("POST", "/api/exit", "{\"args\":[\"now\"]}", 403, "needs local access"),
                new Bad("POST", "/api/logs", "{\"args\":[\"../../etc/passwd\"]}", 400, "logs: slot must be a slot number"),
                new Bad("GET", "/logs?slot=..%2F..%2Fetc%2Fpasswd", null, 400, "logs: slot must be a slot number"),
                new Bad("GET", "/logs?slot=0&lines=100000", null, 400, "is not a count from 1 to 10000"),
                new Bad("GET", "/logs?slot=42", null, 400, "slot 42 has no log"),
                new Bad("GET", "/api/reload", null, 405, "use POST"),
                new Bad("DELETE", "/api/status", null, 405, "method DELETE is not allowed"),
                new Bad("PUT", "/ecv", "x", 405, "GET /ecv"),
                new Bad("GET", "/ecv/disable", null, 405, "use POST"),
                new Bad("POST", "/metrics", null, 405, "use GET"),
                new Bad("POST", "/cli", null, 400, "/cli needs ?cmd=COMMAND"),
                new Bad("POST", "/cli?cmd=nope", null, 404, "unknown command 'nope'"),
                new Bad("GET", "/events?after=abc", null, 400, "must be an event id"),
                new Bad("GET", "/events?samples=maybe", null, 400, "samples must be true or false"),
                new Bad("POST", "/api/upgrade", "{\"argv\":[]}", 403, "needs local access"));
    }

    private static HttpResponse<String> send(HttpClient client, String url, String key, Bad bad) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + bad.path())).timeout(Duration.ofSeconds(30));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        request.method(bad.method(), bad.body() == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(bad.body()));
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long rssKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }

    @Test
    void aThousandMalformedRequestsEachGetAClear4xxAndTheMasterServesOn() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2"));
             HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            int port = herd.awaitPort();
            List<Long> workers = herd.awaitReady(2, Duration.ofSeconds(60));
            String url = Files.readString(dir.resolve("state/api.url")).trim();
            String key = Files.readString(dir.resolve("state/access.key")).trim();
            List<Bad> cases = cases();

            long[] rss = new long[7];
            int sent = 0;
            for (int round = 0; round < 7; round++) {
                rss[round] = rssKib(herd.pid());
                for (int i = 0; i < 1000; i++) {
                    Bad bad = cases.get(i % cases.size());
                    // without the key, a body is not read: the 401 goes out and the connection closes, so a client
                    // still sending 2 MiB may see a reset instead (docs/api.md); the huge body goes with the key only
                    boolean withoutKey = i % 10 == 9 && !bad.path().startsWith("/ecv")
                            && (bad.body() == null || bad.body().length() < 64 * 1024);
                    HttpResponse<String> response = send(client, url, withoutKey ? null : key, bad);
                    int expected = withoutKey ? 401 : bad.status();
                    String message = withoutKey ? "missing or wrong access key" : bad.message();
                    assertThat(response.statusCode()).as(bad.method() + " " + bad.path() + (withoutKey ? " without key" : "")
                            + ": " + response.body()).isEqualTo(expected);
                    if (!response.body().startsWith("status=")) {
                        JsonNode answer = JSON.readTree(response.body());
                        assertThat(answer.path("ok").asBoolean()).isFalse();
                        assertThat(answer.path("error").asText()).as(bad.path()).contains(message);
                    } else {
                        assertThat(response.body()).isEmpty(); // never: /ecv bodies are only for GET /ecv
                    }
                    sent++;
                }
                // the master keeps serving, the cluster unchanged
                assertThat(Http.get(port, "/").status()).isEqualTo(200);
                assertThat(herd.cli("health").code()).isZero();
            }
            long end = rssKib(herd.pid());
            System.out.println("[control-bad-input] " + sent + " malformed requests; master RSS KiB before each round of 1,000: "
                    + java.util.Arrays.toString(rss) + ", after: " + end);
            assertThat(sent).isEqualTo(7000);
            // the heap grows once to its working size during the third 1,000 (11-17 MiB in every run so far), then
            // stays: growth is measured over the last 4,000, after 3,000 of warm-up
            assertThat(end - rss[3]).as("RSS growth over the last 4,000 requests, KiB (after 3,000 warmed up the JVM)")
                    .isLessThan(16 * 1024);
            assertThat(herd.liveReadyPids()).containsExactlyInAnyOrderElementsOf(workers);
            assertThat(herd.events("reload.begun")).isEmpty();
            assertThat(herd.events("worker.exited")).isEmpty();
        }
    }

    @Test
    void malformedLinesOnTheLocalSocketEachGetAnErrorOnTheSameConnection() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "1"))) {
            herd.awaitPort();
            herd.awaitReady(1, Duration.ofSeconds(60));
            List<String> lines = List.of("not json", "[]", "{}", "{\"command\":5}", "{\"command\":\"\"}",
                    "{\"command\":\"nope\"}", "{\"command\":\"scale\",\"args\":[\"many\"]}",
                    "{\"command\":\"logs\",\"args\":[\"/etc/passwd\"]}", "{\"command\":\"upgrade\",\"argv\":\"java\"}",
                    "{\"command\":\"exit\"}", "{\"command\":\"status\",\"args\":{}}");
            try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                channel.connect(UnixDomainSocketAddress.of(dir.resolve("state/control.sock")));
                OutputStream out = Channels.newOutputStream(channel);
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
                List<String> errors = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    out.write((lines.get(i % lines.size()) + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    JsonNode answer = JSON.readTree(in.readLine());
                    assertThat(answer.path("ok").asBoolean()).as(lines.get(i % lines.size())).isFalse();
                    assertThat(answer.path("error").asText()).isNotBlank();
                    errors.add(answer.path("error").asText());
                }
                assertThat(errors).anyMatch(e -> e.startsWith("request is not valid JSON"))
                        .anyMatch(e -> e.contains("\"command\" string"))
                        .anyMatch(e -> e.startsWith("unknown command 'nope'"))
                        .anyMatch(e -> e.contains("'many' is not a count"))
                        .anyMatch(e -> e.contains("exit needs the word 'now'"));
                // the same connection still answers a good request
                out.write("{\"command\":\"health\"}\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                assertThat(JSON.readTree(in.readLine()).path("result").path("status").asText()).isEqualTo("ok");
            }
        }
    }
}
