package dev.herd.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A worker JVM that receives the socket on fd 0, and readiness seen from /proc while it accepts. */
class InheritedChannelTest {
    private static final String PROBE = """
            import java.nio.ByteBuffer;
            import java.nio.channels.*;

            public class Probe {
                public static void main(String[] args) throws Exception {
                    Channel ch = System.inheritedChannel();
                    System.out.println("inherited " + (ch instanceof ServerSocketChannel) + " " + ch.getClass().getName());
                    System.out.flush();
                    ServerSocketChannel server = (ServerSocketChannel) ch;
                    if (args[0].equals("select")) {
                        // selector-based server: the accept is seen through the epoll fd
                        server.configureBlocking(false);
                        Selector selector = Selector.open();
                        server.register(selector, SelectionKey.OP_ACCEPT);
                        while (selector.select() == 0) { }
                    }
                    try (SocketChannel c = server.accept()) {
                        c.write(ByteBuffer.wrap("ok".getBytes()));
                    }
                }
            }
            """;

    @RegisterExtension
    final Children children = new Children();

    @TempDir
    Path dir;

    @Test
    void jvmWorkerBlockedInAcceptIsSeenAccepting() throws IOException {
        probeWorker("block");
    }

    @Test
    void jvmWorkerSelectingIsSeenAccepting() throws IOException {
        probeWorker("select");
    }

    @Test
    void sleepingHolderOfTheSocketIsNotAccepting() {
        try (ListenSocket socket = ListenSocket.open(new InetSocketAddress("127.0.0.1", 0), 8, false)) {
            int pid = children.spawn(new SpawnRequest(List.of("sleep", "30"), Children.basicEnv(), null,
                    socket.fd(), 0, dir.resolve("sleep.log")));
            await().atMost(Duration.ofSeconds(5)).until(() -> SpawnerTest.isExec(pid, "sleep"));
            assertThat(ProcFs.isAccepting(pid, socket.inode())).isFalse();
            // The master holds the socket too but is not accepting on it.
            assertThat(ProcFs.isAccepting(Processes.currentPid(), socket.inode())).isFalse();
        }
    }

    private void probeWorker(String mode) throws IOException {
        Path source = Files.writeString(dir.resolve("Probe.java"), PROBE);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = dir.resolve("probe.log");
        try (ListenSocket socket = ListenSocket.open(new InetSocketAddress("127.0.0.1", 0), 8, false)) {
            int pid = children.spawn(new SpawnRequest(
                    List.of(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", source.toString(), mode),
                    Map.of("PATH", "/usr/bin:/bin"), dir, socket.fd(), 0, log));
            assertThat(ProcFs.isAccepting(pid, socket.inode() + 1)).isFalse();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(25))
                    .until(() -> ProcFs.isAccepting(pid, socket.inode()));
            assertThat(Files.readString(log))
                    .contains("inherited true")
                    .contains("ServerSocketChannel");
            try (Socket client = new Socket()) {
                client.connect(socket.localAddress(), 2000);
                client.setSoTimeout(10_000);
                InputStream in = client.getInputStream();
                assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("ok");
            }
            assertThat(children.waitFor(pid)).isEqualTo(new ExitStatus(0, 0));
        }
    }
}
