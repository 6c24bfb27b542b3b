package dev.herd.control;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;

import static dev.herd.control.ControlTestRig.KEY;
import static dev.herd.control.ControlTestRig.error;
import static org.assertj.core.api.Assertions.assertThat;

/** The HTTP API in this JVM on loopback, over a small command table: routing, methods, access key, statuses. */
class HttpApiTest {
    static ControlTestRig rig;

    @BeforeAll
    static void start() {
        rig = new ControlTestRig(false);
    }

    @AfterAll
    static void stop() {
        rig.close();
    }

    // ---- routing ----

    @Test
    void everyDocumentedPathAnswersItsMethod() {
        HttpResponse<String> status = rig.get("/api/status");
        assertThat(status.statusCode()).isEqualTo(200);
        assertThat(status.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        assertThat(status.body()).startsWith("{\"ok\":true,\"version\":1,\"result\":{\"masterPid\":42,")
                .contains("\"state\":\"ready\"").contains("\"state\":\"failed\"");
        assertThat(rig.post("/api/status", null).statusCode()).isEqualTo(200);
        assertThat(rig.post("/api/reload", "{\"args\":[\"a\",2]}").body()).contains("\"args\":[\"a\",\"2\"]");
        assertThat(rig.post("/cli?cmd=reload%20x%20y", null).body()).contains("\"args\":[\"x\",\"y\"]");
        assertThat(rig.post("/ecv/disable", null).statusCode()).isEqualTo(204);
        HttpResponse<String> disabled = rig.send("GET", "/ecv", null, null);
        assertThat(disabled.statusCode()).isEqualTo(400);
        assertThat(disabled.body()).startsWith("status=DISABLED&ServeTraffic=false&");
        assertThat(disabled.headers().firstValue("Cache-Control")).hasValue("no-cache");
        assertThat(disabled.headers().firstValue("since")).isPresent();
        assertThat(rig.post("/ecv/enable", null).statusCode()).isEqualTo(204);
        HttpResponse<String> metrics = rig.get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("herd_slots 2").contains("state=\"ready\"");
        assertThat(rig.send("HEAD", "/api/status", KEY, null).statusCode()).isEqualTo(200);
    }

    @Test
    void getWordsComeFromRepeatedArgParameters() {
        HttpResponse<String> refused = rig.get("/api/refuse?arg=slot&arg=2%203&other=x");
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(error(refused)).isEqualTo("not now: [slot, 2 3]");
    }

    @Test
    void theEventStreamStartsWithItsRetryLine() throws Exception {
        var request = java.net.http.HttpRequest.newBuilder(rig.uri("/events")).header("Authorization", "Bearer " + KEY).build();
        HttpResponse<java.io.InputStream> response = rig.client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/event-stream; charset=utf-8");
        try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(response.body()))) {
            assertThat(in.readLine()).isEqualTo("retry: 2000");
        }
    }

    @Test
    void unknownPathsAndCommandsAre404() {
        assertThat(rig.get("/nope").statusCode()).isEqualTo(404);
        assertThat(error(rig.get("/nope"))).contains("no such endpoint /nope");
        assertThat(rig.get("/api/").statusCode()).isEqualTo(404);
        assertThat(rig.get("/api/a/b").statusCode()).isEqualTo(404);
        assertThat(rig.get("/clix").statusCode()).isEqualTo(404);
        assertThat(rig.get("/ecvx").statusCode()).isEqualTo(404);
        assertThat(rig.post("/ecv/sideways", null).statusCode()).isEqualTo(404);
        assertThat(error(rig.post("/ecv/sideways", null))).contains("/ecv, /ecv/enable, /ecv/disable");
        HttpResponse<String> unknown = rig.get("/api/relaod");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(error(unknown)).isEqualTo("unknown command 'relaod'; GET /api/help lists them");
        assertThat(error(rig.post("/cli?cmd=relaod", null))).isEqualTo("unknown command 'relaod'; commands: [status, reload, stop, refuse, boom]");
        assertThat(rig.post("/cli?cmd=relaod", null).statusCode()).isEqualTo(404);
    }

    @Test
    void aWrongMethodIs405WithAllow() {
        assertMethodNotAllowed("GET", "/api/reload", "POST");
        assertMethodNotAllowed("PUT", "/api/reload", "POST");
        assertMethodNotAllowed("PUT", "/api/status", "GET, POST");
        assertMethodNotAllowed("DELETE", "/api/status", "GET, POST");
        assertMethodNotAllowed("GET", "/cli?cmd=status", "POST");
        assertMethodNotAllowed("POST", "/ecv", "GET");
        assertMethodNotAllowed("GET", "/ecv/enable", "POST");
        assertMethodNotAllowed("POST", "/events", "GET");
        assertMethodNotAllowed("POST", "/metrics", "GET");
        assertMethodNotAllowed("POST", "/logs", "GET");
        assertThat(rig.reloads).as("a GET never runs a command that changes the cluster").isZero();
        assertThat(error(rig.get("/api/reload"))).isEqualTo("command 'reload' changes the cluster: use POST");
    }

    private static void assertMethodNotAllowed(String method, String path, String allow) {
        HttpResponse<String> response = rig.send(method, path, KEY, null);
        assertThat(response.statusCode()).as(method + " " + path).isEqualTo(405);
        assertThat(response.headers().firstValue("Allow")).as(method + " " + path).hasValue(allow);
    }

    // ---- access key ----

    @Test
    void withoutTheRightKeyEverythingButGetEcvIs401AndClosesTheConnection() {
        for (String key : java.util.Arrays.asList(null, "", "wrong", KEY + "x", KEY.substring(1), KEY.toUpperCase())) {
            for (String path : List.of("/api/status", "/api/reload", "/api/nope", "/nope", "/cli?cmd=status", "/ecv/disable",
                    "/events", "/metrics", "/logs", "/ecvx", "/api/status?accessKey=" + KEY)) {
                HttpResponse<String> response = rig.send("POST", path, key, null);
                assertThat(response.statusCode()).as("POST " + path + " with key " + key).isEqualTo(401);
                assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"herd\"");
                assertThat(response.headers().firstValue("Connection")).hasValue("close");
                assertThat(error(response)).startsWith("missing or wrong access key");
            }
        }
        assertThat(rig.reloads).isZero();
        assertThat(rig.send("GET", "/ecv", null, null).statusCode()).as("GET /ecv needs no key").isEqualTo(200);
        assertThat(rig.send("GET", "/ecv", null, null).body()).startsWith("status=AVAILABLE&ServeTraffic=true&");
        assertThat(rig.send("POST", "/ecv", null, null).statusCode()).as("/ecv is open, but only to GET").isEqualTo(405);
    }

    @Test
    void theRightKeyPassesAsBearerOrOnCliAsAccessKey() {
        assertThat(rig.send("GET", "/api/status", KEY, null).statusCode()).isEqualTo(200);
        var lowerCase = java.net.http.HttpRequest.newBuilder(rig.uri("/api/status")).header("Authorization", "bearer " + KEY).build();
        assertThat(send(lowerCase).statusCode()).isEqualTo(200);
        assertThat(rig.send("POST", "/cli?cmd=status&accessKey=" + KEY, null, null).statusCode()).isEqualTo(200);
        assertThat(rig.send("POST", "/cli?cmd=status&accessKey=wrong", null, null).statusCode()).isEqualTo(401);
        assertThat(rig.send("POST", "/cli?cmd=status&accessKey=" + KEY, "wrong", null).statusCode())
                .as("a bearer header, when sent, decides").isEqualTo(401);
    }

    private static HttpResponse<String> send(java.net.http.HttpRequest request) {
        try {
            return rig.client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theKeyIsComparedWhole() {
        AccessKey key = AccessKey.load(KEY, null);
        assertThat(key.matches(KEY)).isTrue();
        assertThat(key.matches(KEY.substring(0, KEY.length() - 1))).isFalse();
        assertThat(key.matches(KEY + "0")).isFalse();
        assertThat(key.matches(KEY.toUpperCase())).isFalse();
        assertThat(key.matches("")).isFalse();
        assertThat(key.matches(null)).isFalse();
    }

    // ---- statuses ----

    @Test
    void eachKindOfErrorHasItsStatus() {
        HttpResponse<String> badJson = rig.post("/api/reload", "{\"args\":");
        assertThat(badJson.statusCode()).isEqualTo(400);
        assertThat(error(badJson)).startsWith("body is not valid JSON: ");
        assertThat(error(rig.post("/api/reload", "[1]"))).isEqualTo("body must be a JSON object like {\"args\":[\"slot\",\"2\"]}");
        assertThat(error(rig.post("/api/reload", "{\"args\":[{}]}"))).isEqualTo("\"args\" must hold only strings, found OBJECT");
        assertThat(rig.post("/api/reload", "{\"args\":\"x\"}").statusCode()).isEqualTo(400);
        HttpResponse<String> tooLarge = rig.post("/api/reload", "{\"args\":[\"" + "x".repeat(RequestBody.MAX_BYTES) + "\"]}");
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(error(tooLarge)).isEqualTo("body is larger than 65536 bytes");
        HttpResponse<String> local = rig.post("/api/stop", null);
        assertThat(local.statusCode()).isEqualTo(403);
        assertThat(error(local)).contains("needs local access");
        assertThat(rig.post("/cli?cmd=stop", null).statusCode()).as("cluster-service's code for a refused level").isEqualTo(401);
        assertThat(rig.post("/api/refuse", null).statusCode()).isEqualTo(400);
        assertThat(rig.post("/cli?cmd=refuse", null).statusCode()).isEqualTo(400);
        HttpResponse<String> boom = rig.post("/api/boom", null);
        assertThat(boom.statusCode()).isEqualTo(500);
        assertThat(error(boom)).isEqualTo("internal error: java.lang.IllegalStateException: kaput");
        assertThat(rig.post("/cli", null).statusCode()).isEqualTo(400);
        assertThat(rig.get("/events?after=x").statusCode()).isEqualTo(400);
        assertThat(rig.get("/events?after=-1").statusCode()).isEqualTo(400);
        assertThat(rig.reloads).isZero();
    }

    @Test
    void requestsAreCountedByRouteAndStatus() {
        ApiStats.Key missing = new ApiStats.Key("other", 404);
        long before = rig.stats.snapshot().getOrDefault(missing, 0L);
        rig.get("/nope");
        rig.get("/api/");
        awaitCount(missing, before + 2);
        long ok = rig.stats.snapshot().getOrDefault(new ApiStats.Key("api", 200), 0L);
        rig.get("/api/status");
        awaitCount(new ApiStats.Key("api", 200), ok + 1);
        long refused = rig.stats.snapshot().getOrDefault(new ApiStats.Key("metrics", 401), 0L);
        rig.send("GET", "/metrics", null, null);
        awaitCount(new ApiStats.Key("metrics", 401), refused + 1);
    }

    /** A request is counted once its answer is written, a moment after the client has it. */
    private static void awaitCount(ApiStats.Key key, long expected) {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (rig.stats.snapshot().getOrDefault(key, 0L) < expected && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(rig.stats.snapshot().getOrDefault(key, 0L)).as(key.toString()).isEqualTo(expected);
    }

    @Test
    void cliAnswersGetWhenAllowed() {
        try (ControlTestRig allowing = new ControlTestRig(true)) {
            assertThat(allowing.get("/cli?cmd=status").statusCode()).isEqualTo(200);
            assertThat(allowing.send("PUT", "/cli?cmd=status", KEY, null).headers().firstValue("Allow")).hasValue("GET, POST");
        }
    }
}
