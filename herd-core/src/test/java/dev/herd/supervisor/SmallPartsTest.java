package dev.herd.supervisor;

import dev.herd.logs.Logfmt;
import dev.herd.runtime.ClusterRunner;
import dev.herd.wire.NotifyMessage;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SmallPartsTest {

    @Test
    void logfmtQuotesOnlyWhatNeedsIt() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("slot", 1);
        fields.put("why", "signal TERM");
        fields.put("status", "a \"quoted\" = value\nnext");
        fields.put("empty", "");
        assertThat(Logfmt.line("worker.status", fields)).isEqualTo(
                "event=worker.status slot=1 why=\"signal TERM\" status=\"a \\\"quoted\\\" = value\\nnext\" empty=\"\"");
    }

    @Test
    void notifyMessagesAreParsedLikeSystemdDoes() {
        NotifyMessage message = NotifyMessage.parse("READY=1\nSTATUS=warming up: 3/4\ngarbage\nSTOPPING=0");
        assertThat(message.ready()).isTrue();
        assertThat(message.status()).isEqualTo("warming up: 3/4");
        assertThat(message.stopping()).isFalse();
        assertThat(NotifyMessage.parse("READY=0").ready()).isFalse();
        assertThat(NotifyMessage.parse("").values()).isEmpty();
    }

    @Test
    void workerEnvironmentSaysWhoTheWorkerIsAndDropsMasterOnlyVariables() {
        Map<String, String> master = Map.of("PATH", "/usr/bin", "JDK_JAVA_OPTIONS", "-Xmx1g", "LISTEN_FDS", "1",
                "_JAVA_OPTIONS", "-Dx", "HOME", "/root");
        Map<String, String> env = WorkerEnvironment.build(master, 2, 5, 8080, 0, Path.of("/run/n.sock"), 0, "127.0.0.1");
        assertThat(env).containsEntry("HERD_WORKER_ID", "2").containsEntry("WORKER_ID", "2")
                .containsEntry("HERD_GENERATION", "5").containsEntry("HERD_PORT", "8080")
                .containsEntry("HERD_SOCKET_FD", "0").containsEntry("NOTIFY_SOCKET", "/run/n.sock")
                .containsEntry("PATH", "/usr/bin").containsEntry("HOME", "/root")
                .doesNotContainKeys("JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "LISTEN_FDS", "PORT", "HERD_HOST");
        Map<String, String> proxied = WorkerEnvironment.build(master, 1, 1, 8080, 0, Path.of("/run/n.sock"), 41234, "0.0.0.0");
        assertThat(proxied).containsEntry("PORT", "41234").containsEntry("HERD_PORT", "41234")
                .containsEntry("HERD_HOST", "0.0.0.0")
                .containsEntry("HERD_PUBLIC_PORT", "8080").doesNotContainKey("HERD_SOCKET_FD");
        Map<String, String> told = WorkerEnvironment.build(Map.of("HERD_DRAIN_TIMEOUT_MS", "1"), Map.of(), 0, 1, 8080, 0,
                Path.of("/run/n.sock"), 0, "127.0.0.1", null, 0, 12_500);
        assertThat(told).containsEntry("HERD_DRAIN_TIMEOUT_MS", "12500");
        // what the settings give the workers passes, JVM options included; Herd's own variables still win
        Map<String, String> given = WorkerEnvironment.build(master, Map.of("JAVA_TOOL_OPTIONS", "-Xmx64m",
                "HERD_WORKER_ID", "9"), 3, 1, 8080, 0, Path.of("/run/n.sock"), 0, "127.0.0.1", null, 0, -1);
        assertThat(given).containsEntry("JAVA_TOOL_OPTIONS", "-Xmx64m").containsEntry("HERD_WORKER_ID", "3")
                .doesNotContainKeys("JDK_JAVA_OPTIONS", "LISTEN_FDS");
        assertThat(WorkerEnvironment.build(Map.of("HERD_DRAIN_TIMEOUT_MS", "1"), 0, 1, 8080, 0,
                Path.of("/run/n.sock"), 0, "127.0.0.1")).as("a Herd master run by a Herd worker tells its own")
                .doesNotContainKey("HERD_DRAIN_TIMEOUT_MS");
    }

    @Test
    void commandCheckNamesTheProblem() {
        assertThat(CommandCheck.resolve(List.of("sh", "-c", "true"), "/nonexistent:/bin")).isEqualTo(Path.of("/bin/sh"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CommandCheck.resolve(List.of("nope-xyz"), "/bin"))
                .hasMessage("command not found: 'nope-xyz' is not in PATH (/bin); give its full path or install it");
    }

    @Test
    void addressesAreFormattedAsOperatorsWriteThem() throws Exception {
        assertThat(ClusterRunner.format(new java.net.InetSocketAddress("127.0.0.1", 80))).isEqualTo("127.0.0.1:80");
        assertThat(ClusterRunner.format(new java.net.InetSocketAddress("::1", 8080))).isEqualTo("[::1]:8080");
        assertThat(ClusterRunner.format(new java.net.InetSocketAddress("::", 1))).isEqualTo("[::]:1");
        assertThat(ClusterRunner.format(new java.net.InetSocketAddress("2001:db8:0:0:1:0:0:1", 2)))
                .isEqualTo("[2001:db8::1:0:0:1]:2");
        assertThat(ClusterRunner.format(new java.net.InetSocketAddress("fe80:0:0:0:0:0:0:0", 3))).isEqualTo("[fe80::]:3");
        assertThat(ClusterRunner.format(new java.net.InetSocketAddress("1:2:3:4:5:6:7:8", 4))).isEqualTo("[1:2:3:4:5:6:7:8]:4");
    }
}
