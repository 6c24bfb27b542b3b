package dev.herd.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class NotifySocketTest {
    @RegisterExtension
    final Children children = new Children();

    @TempDir
    Path dir;

    @Test
    void receivesWhatIsSent() {
        try (NotifySocket socket = NotifySocket.bind(dir.resolve("n.sock"))) {
            NotifySocket.send(socket.path(), "READY=1\nSTATUS=x");
            assertThat(socket.receive(Duration.ofSeconds(5))).contains("READY=1\nSTATUS=x");
            assertThat(socket.receive(Duration.ofMillis(20))).isEmpty();
        }
    }

    @Test
    void replacesAStaleFileAndUnlinksOnClose() throws Exception {
        Path path = Files.writeString(dir.resolve("stale.sock"), "stale");
        NotifySocket socket = NotifySocket.bind(path);
        socket.close();
        socket.close();
        assertThat(path).doesNotExist();
        assertThatThrownBy(() -> NotifySocket.send(path, "READY=1"))
                .isInstanceOfSatisfying(NativeException.class, e -> {
                    assertThat(e.call()).isEqualTo("sendto");
                    assertThat(e.errnoName()).isEqualTo("ENOENT");
                    assertThat(e.getMessage()).contains(path.toString());
                });
    }

    @Test
    void closeWakesABlockedReceiver() throws Exception {
        NotifySocket socket = NotifySocket.bind(dir.resolve("w.sock"));
        CompletableFuture<Optional<String>> received = new CompletableFuture<>();
        Thread reader = Thread.ofPlatform().start(() -> received.complete(socket.receive(Duration.ofSeconds(60))));
        try {
            // wait until a thread of this JVM is inside poll(fds, 1, 60000): the reader
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(NotifySocketTest::someThreadPolls60s);
            long start = System.nanoTime();
            socket.close();
            assertThat(received.get(5, TimeUnit.SECONDS)).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        } finally {
            socket.close();
            reader.join(65_000);
        }
    }

    private static boolean someThreadPolls60s() throws java.io.IOException {
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            return tasks.anyMatch(task -> {
                try {
                    // syscall 7 = poll; args: fds, nfds=1, timeout=60000 (0xea60)
                    String[] parts = Files.readString(task.resolve("syscall")).trim().split(" ");
                    return parts.length > 3 && parts[0].equals("7") && parts[2].equals("0x1")
                            && parts[3].equals("0xea60");
                } catch (java.io.IOException e) {
                    return false;
                }
            });
        }
    }

    @Test
    void tooLongPathIsRejected() {
        Path path = dir.resolve("x".repeat(120));
        assertThatThrownBy(() -> NotifySocket.bind(path))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("limit is 107");
        assertThatThrownBy(() -> UnixSocketPath.check(Path.of("/" + "a".repeat(107))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(UnixSocketPath.check(Path.of("/" + "a".repeat(106)))).hasSize(107);
    }

    @Test
    void pythonChildNotifies() {
        Path python = Path.of("/usr/bin/python3");
        assumeTrue(Files.isExecutable(python), "python3 not installed");
        try (NotifySocket socket = NotifySocket.bind(dir.resolve("py.sock"))) {
            String code = "import os, socket\n"
                    + "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
                    + "s.sendto(('READY=1\\nMAINPID=%d' % os.getpid()).encode(), os.environ['NOTIFY_SOCKET'])\n";
            int pid = children.spawn(new SpawnRequest(List.of(python.toString(), "-c", code),
                    Map.of("NOTIFY_SOCKET", socket.path().toString()), null, -1, 0, dir.resolve("py.log")));
            assertThat(socket.receive(Duration.ofSeconds(10))).contains("READY=1\nMAINPID=" + pid);
            assertThat(children.waitFor(pid).code()).isZero();
        }
    }
}
