package dev.herd.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the master and the CLI say when the control plane cannot be reached: each names the cause and the way out. */
class ControlAccessMessagesTest {
    @Test
    void aBusyApiPortSuggestsTheFlagThatExists() throws Exception {
        Path dir = Herd.newDir();
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "1", "--api-port",
                     Integer.toString(busy.getLocalPort())))) {
            assertThat(herd.awaitExit(Duration.ofSeconds(60))).as(herd.output()).isEqualTo(3);
            assertThat(herd.output()).contains("cannot listen for the HTTP API on 127.0.0.1:" + busy.getLocalPort())
                    .contains("or --no-api").doesNotContain("--api off");
        }
    }

    @Test
    void anotherUsersCliIsToldPermissionDeniedAndWhatToDo() throws Exception {
        Path dir = Herd.newDir();
        // only the state dir (0700, the master's) keeps the other user out, not the test's own directory
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "1"))) {
            herd.awaitPort();
            Path state = dir.resolve("state");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state))).isEqualTo("rwx------");
            assertThat(herd.cli("status").code()).as("the master's own user gets an answer").isZero();

            Shell.Result other = Shell.run(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                    Herd.LAUNCHER.toString(), "status", "--state-dir", state.toString()));
            assertThat(other.code()).as(other.output()).isEqualTo(3);
            assertThat(other.output()).contains("permission denied on " + state.resolve("control.sock"))
                    .contains("owned by root").contains("master's user").contains("--url")
                    .doesNotContain("no control.sock there");
        }
    }
}
