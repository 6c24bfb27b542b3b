package dev.herd.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The control plane end to end: every command over the CLI (local socket) and over HTTP with the key; without
 * the key or with a wrong one every command is 401 and changes nothing; a remote caller is refused a local-level
 * command that the local socket may run.
 */
class ControlApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final int WORKERS = 2;

    @AfterAll
    static void closeClient() {
        CLIENT.close();
    }

    record Api(String url, String key) {
    }

    private static Api api(Path dir) throws IOException {
        Path state = dir.resolve("state");
        String url = Files.readString(state.resolve("api.url")).trim();
        Path keyFile = state.resolve("access.key");
        assertThat(Files.getPosixFilePermissions(keyFile)).as("access.key mode")
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        return new Api(url, Files.readString(keyFile).trim());
    }

    private static Herd startCluster(Path dir, String... extra) throws IOException {
        Herd herd = Herd.start(dir, Herd.runArgs(dir, concat(List.of("--workers", Integer.toString(WORKERS),
                "--drain-timeout", "5s"), extra)));
        herd.awaitPort();
        herd.awaitReady(WORKERS, Duration.ofSeconds(60));
        await(() -> Files.exists(dir.resolve("state/api.url")), "api.url written");
        return herd;
    }

    private static String[] concat(List<String> first, String... rest) {
        List<String> all = new java.util.ArrayList<>(first);
        all.addAll(List.of(rest));
        return all.toArray(String[]::new);
    }

    static HttpResponse<String> http(String method, String url, String key, String body) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    static JsonNode json(String text) throws IOException {
        return JSON.readTree(text);
    }

    static void await(java.util.concurrent.Callable<Boolean> condition, String what) {
        org.awaitility.Awaitility.await(what).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(25))
                .until(condition);
    }

    /** The result of a command run through the CLI with --json: exit code 0 and the master's answer. */
    private static JsonNode cliJson(Herd herd, String command, String... args) throws IOException {
        List<String> all = new java.util.ArrayList<>(List.of(args));
        all.add("--json");
        Shell.Result result = herd.cli(command, all.toArray(String[]::new));
        assertThat(result.code()).as("herd " + command + " " + all + ": " + result.output()).isZero();
        JsonNode answer = json(result.output());
        assertThat(answer.path("ok").asBoolean()).as(result.output()).isTrue();
        return answer.path("result");
    }

    @Test
    void everyCommandWorksOverTheCliAndOverHttpWithTheKey() throws IOException {
        Path dir = Herd.newDir();
        try (Herd herd = startCluster(dir)) {
            Api api = api(dir);

            // CLI over the local socket
            JsonNode status = cliJson(herd, "status");
            assertThat(status.path("workers")).hasSize(WORKERS);
            assertThat(status.path("generation").asInt()).isEqualTo(1);
            assertThat(cliJson(herd, "workers")).hasSize(WORKERS);
            assertThat(cliJson(herd, "health").path("status").asText()).isEqualTo("ok");
            JsonNode info = cliJson(herd, "info");
            assertThat(info.path("masterPid").asLong()).isEqualTo(herd.pid());
            assertThat(info.path("api").asText()).isEqualTo(api.url());
            assertThat(info.path("workers").asInt()).isEqualTo(WORKERS);
            assertThat(cliJson(herd, "version").path("protocol").asInt()).isEqualTo(1);
            JsonNode help = json(herd.cli("exec", "help").output()).path("result");
            assertThat(help.findValuesAsText("name")).contains("status", "workers", "health", "info", "version",
                    "help", "reload", "upgrade", "kill-retired", "stop", "exit", "ecv");
            assertThat(json(herd.cli("exec", "help", "exit").output()).path("result").path("access").asText()).isEqualTo("local");
            assertThat(cliJson(herd, "ecv", "disable").path("enabled").asBoolean()).isFalse();
            JsonNode ecv = cliJson(herd, "ecv");
            assertThat(ecv.path("enabled").asBoolean()).isFalse();
            assertThat(ecv.path("monitor").isNull()).as("no --ecv-monitor: " + ecv).isTrue();
            assertThat(cliJson(herd, "ecv", "enable").path("enabled").asBoolean()).isTrue();
            assertThat(cliJson(herd, "ecv", "enable").path("enabled").asBoolean()).as("idempotent").isTrue();
            // each change logged once, as an operator would look for it
            herd.awaitEvent(e -> e.name().equals("ecv.enabled"), Duration.ofSeconds(10), "ecv.enabled");
            assertThat(herd.events().stream().map(LogEvent::name).filter(n -> n.startsWith("ecv.")).toList())
                    .containsExactly("ecv.disabled", "ecv.enabled");
            assertThat(cliJson(herd, "kill-retired").isArray()).isTrue();
            JsonNode reload = cliJson(herd, "reload");
            assertThat(reload.path("ok").asBoolean()).isTrue();
            assertThat(reload.path("generation").asInt()).isEqualTo(2);

            // the same over HTTP with the key (GET for read-only commands, POST for all)
            for (String read : List.of("status", "workers", "health", "info", "version", "help")) {
                HttpResponse<String> get = http("GET", api.url() + "/api/" + read, api.key(), null);
                assertThat(get.statusCode()).as("GET /api/" + read + ": " + get.body()).isEqualTo(200);
                assertThat(json(get.body()).path("ok").asBoolean()).isTrue();
                HttpResponse<String> post = http("POST", api.url() + "/api/" + read, api.key(), null);
                assertThat(post.statusCode()).as("POST /api/" + read).isEqualTo(200);
            }
            assertThat(json(http("GET", api.url() + "/api/help?arg=reload", api.key(), null).body())
                    .path("result").path("name").asText()).isEqualTo("reload");
            assertThat(json(http("POST", api.url() + "/api/ecv", api.key(), "{\"args\":[\"disable\"]}").body())
                    .path("result").path("enabled").asBoolean()).isFalse();
            assertThat(http("POST", api.url() + "/api/ecv", api.key(), "{\"args\":[\"enable\"]}").statusCode()).isEqualTo(200);
            assertThat(http("POST", api.url() + "/api/kill-retired", api.key(), null).statusCode()).isEqualTo(200);
            HttpResponse<String> httpReload = http("POST", api.url() + "/api/reload", api.key(), "{}");
            assertThat(httpReload.statusCode()).as(httpReload.body()).isEqualTo(200);
            assertThat(json(httpReload.body()).path("result").path("generation").asInt()).isEqualTo(3);
            assertThat(http("GET", api.url() + "/api/reload", api.key(), null).statusCode())
                    .as("a mutation is never GET").isEqualTo(405);
            assertThat(json(http("GET", api.url() + "/api/events?arg=5", api.key(), null).body()).path("result")).hasSize(5);
            HttpResponse<String> logs = http("GET", api.url() + "/api/logs?arg=0&arg=5", api.key(), null);
            assertThat(logs.statusCode()).as(logs.body()).isEqualTo(200);
            HttpResponse<String> restart = http("POST", api.url() + "/api/restart", api.key(), "{\"args\":[\"slot\",\"1\"]}");
            assertThat(json(restart.body()).path("result").path("kind").asText()).as(restart.body()).isEqualTo("restart");
            HttpResponse<String> scale = http("POST", api.url() + "/api/scale", api.key(), "{\"args\":[\"3\"]}");
            assertThat(json(scale.body()).path("result").path("to").asInt()).as(scale.body()).isEqualTo(3);
            HttpResponse<String> shutdown = http("POST", api.url() + "/api/shutdown", api.key(), "{\"args\":[\"slot\",\"2\",\"5s\"]}");
            assertThat(json(shutdown.body()).path("result").path("stoppedSlots").get(0).asInt()).as(shutdown.body()).isEqualTo(2);
            assertThat(http("POST", api.url() + "/api/scale", api.key(), "{\"args\":[\"2\"]}").statusCode()).isEqualTo(200);

            // the CLI through the HTTP API (--url, key from $HERD_ACCESS_KEY or --key)
            Shell.Result remoteStatus = Shell.run(Herd.LAUNCHER.toString(), "status", "--url", api.url(), "--key", api.key());
            assertThat(remoteStatus.code()).as(remoteStatus.output()).isZero();
            assertThat(remoteStatus.output()).contains("generation 3");
            Shell.Result wrongKey = Shell.run(Herd.LAUNCHER.toString(), "status", "--url", api.url(), "--key", "x".repeat(64));
            assertThat(wrongKey.code()).isEqualTo(1);
            assertThat(wrongKey.output()).contains("missing or wrong access key");
        }
    }

    @Test
    void withoutTheKeyOrWithAWrongOneEveryCommandIs401AndChangesNothing() throws IOException {
        Path dir = Herd.newDir();
        try (Herd herd = startCluster(dir)) {
            Api api = api(dir);
            Set<Long> pidsBefore = Set.copyOf(herd.liveReadyPids());
            int eventsBefore = herd.events().size();
            List<String> commands = List.of("status", "workers", "health", "info", "version", "help", "events", "logs",
                    "reload", "restart", "shutdown", "scale", "upgrade", "kill-retired", "stop", "exit", "ecv",
                    "no-such-command");
            for (String key : java.util.Arrays.asList(null, "", "wrong", api.key() + "x", api.key().substring(1),
                    api.key().toUpperCase(java.util.Locale.ROOT))) {
                for (String command : commands) {
                    String body = switch (command) {
                        case "exit" -> "{\"args\":[\"now\"]}";
                        case "ecv" -> "{\"args\":[\"disable\"]}";
                        case "upgrade" -> "{\"argv\":[\"/bin/true\"]}";
                        case "restart", "shutdown" -> "{\"args\":[\"all\"]}";
                        case "scale" -> "{\"args\":[\"1\"]}";
                        default -> "{}";
                    };
                    for (String method : List.of("GET", "POST")) {
                        HttpResponse<String> response = http(method, api.url() + "/api/" + command, key, body);
                        assertThat(response.statusCode()).as(method + " /api/" + command + " with key " + key).isEqualTo(401);
                        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"herd\"");
                        assertThat(json(response.body()).path("error").asText()).contains("access key");
                    }
                }
                for (String path : List.of("/ecv/disable", "/cli?cmd=exit%20now", "/cli?cmd=reload&accessKey=" + (key == null ? "" : key),
                        "/events", "/metrics", "/logs?slot=0", "/no/such/path")) {
                    assertThat(http("POST", api.url() + path, key, null).statusCode()).as("POST " + path).isEqualTo(401);
                }
            }
            // nothing changed: same workers, no reload, no shutdown, ECV still available
            assertThat(herd.liveReadyPids()).containsExactlyInAnyOrderElementsOf(pidsBefore);
            Predicate<LogEvent> change = e -> e.name().startsWith("reload.") || e.name().startsWith("shutdown.")
                    || e.name().equals("worker.exited") || e.name().startsWith("retired.");
            assertThat(herd.events().subList(eventsBefore, herd.events().size())).noneMatch(change);
            HttpResponse<String> ecv = http("GET", api.url() + "/ecv", null, null);
            assertThat(ecv.statusCode()).isEqualTo(200);
            assertThat(ecv.body()).startsWith("status=AVAILABLE&ServeTraffic=true&");
            assertThat(herd.cli("status").code()).isZero();
        }
    }

    @Test
    void aRemoteCallerIsRefusedALocalCommandThatTheLocalSocketMayRun() throws IOException {
        Path dir = Herd.newDir();
        try (Herd herd = startCluster(dir)) {
            Api api = api(dir);
            HttpResponse<String> exit = http("POST", api.url() + "/api/exit", api.key(), "{\"args\":[\"now\"]}");
            assertThat(exit.statusCode()).as(exit.body()).isEqualTo(403);
            assertThat(json(exit.body()).path("error").asText()).contains("needs local access");
            HttpResponse<String> stop = http("POST", api.url() + "/api/stop", api.key(), null);
            assertThat(stop.statusCode()).isEqualTo(403);
            HttpResponse<String> upgrade = http("POST", api.url() + "/api/upgrade", api.key(), "{\"argv\":[\"/bin/true\"]}");
            assertThat(upgrade.statusCode()).as("an upgrade runs a command line: local only").isEqualTo(403);
            // cluster-service's endpoint answers a refused level with 401
            HttpResponse<String> cli = http("POST", api.url() + "/cli?cmd=exit%20now&accessKey=" + api.key(), null, null);
            assertThat(cli.statusCode()).isEqualTo(401);
            Shell.Result overHttp = Shell.run(Herd.LAUNCHER.toString(), "exit", "now", "--url", api.url(), "--key", api.key());
            assertThat(overHttp.code()).isEqualTo(1);
            assertThat(overHttp.output()).contains("needs local access");
            assertThat(herd.events("shutdown.begun")).isEmpty();
            assertThat(herd.cli("health").code()).isZero();

            Shell.Result local = herd.cli("exit", "now");
            assertThat(local.code()).as(local.output()).isZero();
            assertThat(local.output()).contains("exiting");
            assertThat(herd.awaitExit(Duration.ofSeconds(30))).isEqualTo(130);
            assertThat(herd.processes()).isEmpty();
            assertThat(dir.resolve("state/api.url")).doesNotExist();
        }
    }

    @Test
    void clusterServiceCliEndpointKeepsItsStatusCodes() throws IOException {
        Path dir = Herd.newDir();
        try (Herd herd = startCluster(dir)) {
            Api api = api(dir);
            String cli = api.url() + "/cli?accessKey=" + api.key() + "&cmd=";
            HttpResponse<String> health = http("POST", cli + "health", null, null);
            assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
            assertThat(json(health.body()).path("result").path("status").asText()).isEqualTo("ok");
            assertThat(http("POST", cli + "frobnicate", null, null).statusCode()).isEqualTo(404);
            assertThat(http("GET", cli + "health", null, null).statusCode()).as("GET /cli is off by default").isEqualTo(405);
            HttpResponse<String> bad = http("POST", cli + "ecv%20sideways", null, null);
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(json(bad.body()).path("error").asText()).contains("'sideways' is not enable or disable");
            assertThat(http("POST", api.url() + "/cli?cmd=health&accessKey=wrong", null, null).statusCode()).isEqualTo(401);
            assertThat(http("POST", api.url() + "/cli?cmd=health", api.key(), null).statusCode())
                    .as("the bearer header works there too").isEqualTo(200);

            HttpResponse<String> stop = http("POST", api.url() + "/api/stop", api.key(), null);
            assertThat(stop.statusCode()).isEqualTo(403);
            Shell.Result localStop = herd.cli("stop", "--drain-timeout", "3s");
            assertThat(localStop.code()).as(localStop.output()).isZero();
            assertThat(localStop.output()).contains("3000 ms");
            assertThat(herd.awaitExit(Duration.ofSeconds(30))).isZero();
        }
    }

    @Test
    void ecvReportsAvailableDisabledAndWarning() throws IOException {
        Path dir = Herd.newDir();
        try (Herd herd = startCluster(dir, "--restart-delay", "30s", "--max-restart-delay", "30s")) {
            Api api = api(dir);
            HttpResponse<String> available = http("GET", api.url() + "/ecv", null, null);
            assertThat(available.statusCode()).isEqualTo(200);
            assertThat(available.body()).matches("status=AVAILABLE&ServeTraffic=true&ip=127\\.0\\.0\\.1&hostname=[^&]+&port="
                    + herd.awaitPort() + "&time=.+\\n");
            assertThat(available.headers().firstValue("since")).isPresent();
            assertThat(available.headers().firstValue("Cache-Control")).hasValue("no-cache");

            HttpResponse<String> disable = http("POST", api.url() + "/ecv/disable", api.key(), null);
            assertThat(disable.statusCode()).isEqualTo(204);
            String since = disable.headers().firstValue("since").orElseThrow();
            HttpResponse<String> disabled = http("GET", api.url() + "/ecv", null, null);
            assertThat(disabled.statusCode()).isEqualTo(400);
            assertThat(disabled.body()).startsWith("status=DISABLED&ServeTraffic=false&");
            assertThat(disabled.headers().firstValue("since")).hasValue(since);
            assertThat(http("GET", api.url() + "/ecv/enable", api.key(), null).statusCode()).as("never GET").isEqualTo(405);

            assertThat(http("POST", api.url() + "/ecv/enable", api.key(), null).statusCode()).isEqualTo(204);
            assertThat(http("GET", api.url() + "/ecv", null, null).statusCode()).isEqualTo(200);

            // every worker down (the restart delay keeps them down): WARNING
            for (long pid : herd.liveReadyPids()) {
                Shell.run("kill", "-9", Long.toString(pid));
            }
            await(() -> http("GET", api.url() + "/ecv", null, null).statusCode() == 500, "ECV warning with no worker");
            HttpResponse<String> warning = http("GET", api.url() + "/ecv", null, null);
            assertThat(warning.body()).startsWith("status=WARNING&ServeTraffic=false&");
            assertThat(warning.headers().firstValue("X-Herd-Reason")).hasValue("no worker is ready");
        }
    }

    @Test
    void ecvWarnsWhenTheMonitorPathFails() throws IOException {
        Path dir = Herd.newDir();
        // the demo worker answers /slow without ?ms= with 400
        try (Herd _ = startCluster(dir, "--ecv-monitor", "/slow")) {
            Api api = api(dir);
            HttpResponse<String> warning = http("GET", api.url() + "/ecv", null, null);
            assertThat(warning.statusCode()).isEqualTo(500);
            assertThat(warning.body()).startsWith("status=WARNING&ServeTraffic=false&");
            assertThat(warning.headers().firstValue("X-Herd-Reason")).hasValue("monitor /slow answered 400");
        }
        Path healthy = Herd.newDir();
        try (Herd _ = startCluster(healthy, "--ecv-monitor", "/health")) {
            assertThat(http("GET", api(healthy).url() + "/ecv", null, null).statusCode()).isEqualTo(200);
        }
    }
}
