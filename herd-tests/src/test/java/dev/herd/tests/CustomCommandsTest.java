package dev.herd.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An application's own commands run through the CLI and the HTTP API under their access level, and help lists them. */
class CustomCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void customCommandsRunOverBothTransportsAndHelpListsThem() throws Exception {
        Path dir = Herd.newDir();
        Path state = dir.resolve("state");
        String classpath = Herd.HOME.resolve("herd-cli/target/herd.jar") + File.pathSeparator
                + Path.of(CustomCommandApp.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String java = ProcessHandle.current().info().command().orElse("java");
        try (Herd herd = Herd.startEmbedded(dir, List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", classpath,
                "dev.herd.tests.CustomCommandApp", state.toString()))) {
            herd.awaitPort();
            herd.awaitReady(2, Duration.ofSeconds(60));
            ControlApiTest.await(() -> Files.exists(state.resolve("api.url")), "api.url");
            String url = Files.readString(state.resolve("api.url")).trim();
            String key = Files.readString(state.resolve("access.key")).trim();

            JsonNode help = JSON.readTree(herd.cli("exec", "help").output()).path("result");
            assertThat(help.findValuesAsText("name")).contains("status", "greet", "flush", "broken");
            JsonNode greetHelp = JSON.readTree(herd.cli("exec", "help", "greet").output()).path("result");
            assertThat(greetHelp.path("usage").asText()).isEqualTo("greet NAME");
            assertThat(greetHelp.path("access").asText()).isEqualTo("remote");

            Shell.Result local = herd.cli("exec", "greet", "world");
            assertThat(local.code()).as(local.output()).isZero();
            assertThat(JSON.readTree(local.output()).path("result").path("greeting").asText()).isEqualTo("hello world");
            HttpResponse<String> remote = ControlApiTest.http("POST", url + "/api/greet", key, "{\"args\":[\"http\"]}");
            assertThat(remote.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(remote.body()).path("result").path("greeting").asText()).isEqualTo("hello http");
            HttpResponse<String> cli = ControlApiTest.http("POST", url + "/cli?cmd=greet%20compat&accessKey=" + key, null, null);
            assertThat(JSON.readTree(cli.body()).path("result").path("greeting").asText()).isEqualTo("hello compat");

            HttpResponse<String> badArgs = ControlApiTest.http("POST", url + "/api/greet", key, "{}");
            assertThat(badArgs.statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(badArgs.body()).path("error").asText()).isEqualTo("greet: greet needs exactly one name");

            HttpResponse<String> flushRemote = ControlApiTest.http("POST", url + "/api/flush", key, null);
            assertThat(flushRemote.statusCode()).as("a local command over HTTP").isEqualTo(403);
            Shell.Result flushLocal = herd.cli("exec", "flush");
            assertThat(JSON.readTree(flushLocal.output()).path("result").path("flushes").asInt())
                    .as("the refused remote call ran nothing").isEqualTo(1);

            HttpResponse<String> broken = ControlApiTest.http("POST", url + "/api/broken", key, null);
            assertThat(broken.statusCode()).isEqualTo(500);
            assertThat(JSON.readTree(broken.body()).path("error").asText()).contains("the cache is on fire");
            assertThat(herd.cli("health").code()).as("a failing command leaves the master serving").isZero();
        }
    }
}
