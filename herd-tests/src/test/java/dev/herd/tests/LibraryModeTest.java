package dev.herd.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Library mode: one main() is the master and every worker; the same jar also runs standalone. */
class LibraryModeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path JAR = Herd.HOME.resolve("herd-examples/library/target/herd-library-example-0.1.0-SNAPSHOT.jar");

    private static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    @Test
    void oneMainStartsTheWorkersAndItsCommandsRunOverTheCliAndHttp() throws Exception {
        Path dir = Herd.newDir();
        Path state = dir.resolve("state");
        try (Herd herd = Herd.startEmbedded(dir, List.of(java(), "-jar", JAR.toString(), "--workers", "3", "--port", "0",
                "--api-port", "0", "--state-dir", state.toString()))) {
            int port = herd.awaitPort();
            List<Long> pids = herd.awaitReady(3, Duration.ofSeconds(60));
            Set<Integer> slots = new HashSet<>();
            for (int i = 0; i < 30 && slots.size() < 3; i++) {
                Http.Response response = Http.get(port, "/");
                assertThat(response.status()).isEqualTo(200);
                assertThat(pids).contains(response.pid());
                slots.add(response.slot());
            }
            assertThat(slots).containsExactlyInAnyOrder(0, 1, 2);
            for (long pid : pids) {
                String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
                assertThat(cmdline).as("worker " + pid).contains("dev.herd.examples.library.LibraryApp --workers 3");
            }

            Shell.Result hello = herd.cli("exec", "hello", "cli");
            assertThat(hello.code()).as(hello.output()).isZero();
            assertThat(JSON.readTree(hello.output()).path("result").path("greeting").asText())
                    .isEqualTo("hello cli from the master, pid " + herd.pid());
            ControlApiTest.await(() -> Files.exists(state.resolve("api.url")), "api.url");
            String url = Files.readString(state.resolve("api.url")).trim();
            String key = Files.readString(state.resolve("access.key")).trim();
            HttpResponse<String> overHttp = ControlApiTest.http("POST", url + "/api/hello", key, "{\"args\":[\"http\"]}");
            assertThat(overHttp.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(overHttp.body()).path("result").path("greeting").asText()).startsWith("hello http");
            JsonNode stats = JSON.readTree(herd.cli("exec", "stats").output()).path("result");
            assertThat(stats.path("workersReady").asInt()).as("the application's event listener").isEqualTo(3);
            assertThat(stats.path("messagesFromWorkers").asInt()).as("each worker's send(...)").isEqualTo(3);
            // each worker asked the master's delegate handler, got the change it pushed later, and its ask of a
            // handler slower than its timeout failed with a timeout
            for (int slot = 0; slot < 3; slot++) {
                Path log = state.resolve("logs/worker-" + slot + ".log");
                int s = slot;
                await("slot " + slot + "'s delegate lines").atMost(Duration.ofSeconds(30)).until(() -> Files.exists(log)
                        && Files.readString(log).contains("library-app: config changed: color=green"));
                String text = Files.readString(log);
                assertThat(text).contains("library-app: config: color=blue for slot " + s + " (slot " + s + ")")
                        .contains("library-app: slow ask failed: ask 'slow' timed out after 500 ms");
            }
            // messages the other way: from the master (an operator's command) to every worker's onMessage
            Shell.Result sent = herd.cli("exec", "message", "all", "hi", "workers");
            assertThat(JSON.readTree(sent.output()).path("result").path("sentTo")).as(sent.output()).hasSize(3);
            for (int slot = 0; slot < 3; slot++) {
                Path log = state.resolve("logs/worker-" + slot + ".log");
                await("slot " + slot + " got the message").atMost(Duration.ofSeconds(30))
                        .until(() -> Files.readString(log).contains("library-app: message: hi workers"));
            }

            assertThat(herd.cli("stop").code()).isZero();
            assertThat(herd.awaitExit(Duration.ofSeconds(60))).isZero();
            assertThat(herd.processes()).isEmpty();
        }
    }

    /**
     * The same application on the module path: herd-core and herd-worker are named modules (exporting only dev.herd
     * and dev.herd.worker), the app an automatic one; the master finds its runtime through the module's service and
     * starts its workers with the same module path and main module.
     */
    @Test
    void onTheModulePathTheMasterStartsItsWorkersAsModulesToo() throws Exception {
        Path dir = Herd.newDir();
        Path state = dir.resolve("state");
        String modulePath = JAR + ":" + JAR.resolveSibling("lib");
        try (Herd herd = Herd.startEmbedded(dir, List.of(java(), "--enable-native-access=dev.herd.core", "-p", modulePath,
                "-m", "dev.herd.examples.library/dev.herd.examples.library.LibraryApp", "--workers", "2", "--port", "0",
                "--api-port", "0", "--state-dir", state.toString()))) {
            int port = herd.awaitPort();
            List<Long> pids = herd.awaitReady(2, Duration.ofSeconds(60));
            Set<Integer> slots = new HashSet<>();
            for (int i = 0; i < 30 && slots.size() < 2; i++) {
                Http.Response response = Http.get(port, "/");
                assertThat(response.status()).isEqualTo(200);
                assertThat(pids).contains(response.pid());
                slots.add(response.slot());
            }
            assertThat(slots).containsExactlyInAnyOrder(0, 1);
            for (long pid : pids) {
                String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
                assertThat(cmdline).as("worker " + pid)
                        .contains("-m dev.herd.examples.library/dev.herd.examples.library.LibraryApp --workers 2")
                        .doesNotContain(" -cp ");
            }
            Shell.Result hello = herd.cli("exec", "hello", "modules");
            assertThat(hello.code()).as(hello.output()).isZero();
            assertThat(JSON.readTree(hello.output()).path("result").path("greeting").asText()).startsWith("hello modules");
            assertThat(herd.cli("stop").code()).isZero();
            assertThat(herd.awaitExit(Duration.ofSeconds(60))).isZero();
            assertThat(herd.processes()).isEmpty();
        }
    }

    @Test
    void theSameJarRunsStandaloneWithoutAMaster() throws Exception {
        int port = Http.freePort();
        ProcessBuilder builder = new ProcessBuilder(java(), "-jar", JAR.toString(), "--standalone").redirectErrorStream(true);
        builder.environment().put("PORT", Integer.toString(port));
        builder.environment().remove("HERD_WORKER_ID");
        Process app = builder.start();
        try {
            Http.Response response = await("the standalone app serving").atMost(Duration.ofSeconds(30))
                    .ignoreExceptions().until(() -> Http.get(port, "/"), r -> r.status() == 200);
            assertThat(response.slot()).isZero();
            assertThat(response.generation()).isZero();
            assertThat(response.pid()).as("served by the process started, no master, no worker").isEqualTo(app.pid());
        } finally {
            app.destroy();
            if (!app.waitFor(30, TimeUnit.SECONDS)) {
                app.destroyForcibly();
            }
        }
    }
}
