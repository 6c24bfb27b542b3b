package dev.herd.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Descriptors over an AF_UNIX stream (SCM_RIGHTS) between two ends in this process. */
class UnixStreamTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private record Pair(UnixListener listener, UnixStream client, UnixStream server) implements AutoCloseable {
        @Override
        public void close() {
            client.close();
            server.close();
            listener.close();
        }
    }

    private Pair pair() throws IOException {
        UnixListener listener = UnixListener.listen(dir.resolve("s.sock"), 4);
        UnixStream client = UnixStream.connect(listener.path());
        UnixStream server = listener.accept(WAIT).orElseThrow();
        return new Pair(listener, client, server);
    }

    @Test
    void aListeningSocketSentArrivesAsTheSameSocketAndAcceptsItsConnections() throws Exception {
        ListenSocket socket = ListenSocket.open(new InetSocketAddress("127.0.0.1", 0), 8, false);
        try (Pair pair = pair()) {
            pair.client().send("ready\n".getBytes(StandardCharsets.UTF_8), socket.fd());
            UnixStream.Received received = pair.server().receive(64, WAIT).orElseThrow();
            assertThat(new String(received.data(), StandardCharsets.UTF_8)).isEqualTo("ready\n");
            assertThat(received.fds()).hasSize(1);
            assertThat(received.fds()[0]).isNotEqualTo(socket.fd());
            try (ListenSocket copy = ListenSocket.fromCopy(received.fds()[0], "received")) {
                assertThat(copy.inode()).isEqualTo(socket.inode());
                socket.close(); // the received copy alone keeps it listening
                try (Socket client = new Socket("127.0.0.1", copy.localAddress().getPort())) {
                    assertThat(client.isConnected()).isTrue();
                }
            }
        } finally {
            socket.close();
        }
    }

    @Test
    void moreDescriptorsThanOneMessageMayCarryGoInParts() throws Exception {
        try (Pair pair = pair(); ListenSocket socket = ListenSocket.open(new InetSocketAddress("127.0.0.1", 0), 8, false)) {
            int[] fds = new int[UnixStream.MAX_FDS_PER_MESSAGE * 2 + 10];
            Arrays.fill(fds, socket.fd());
            byte[] line = ("x".repeat(100) + "\n").getBytes(StandardCharsets.UTF_8);
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    pair.client().send(line, fds);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            List<Integer> received = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            while (!text.toString().endsWith("\n")) {
                UnixStream.Received part = pair.server().receive(1024, WAIT).orElseThrow();
                text.append(new String(part.data(), StandardCharsets.UTF_8));
                Arrays.stream(part.fds()).forEach(received::add);
            }
            sent.get(5, TimeUnit.SECONDS);
            assertThat(text.toString()).isEqualTo(new String(line, StandardCharsets.UTF_8));
            assertThat(received).hasSize(fds.length);
            for (int fd : received) {
                assertThat(ProcFs.socketInode(fd)).isEqualTo(socket.inode());
                UnixStream.closeDescriptor(fd);
            }
        }
    }

    @Test
    void tooFewBytesForTheDescriptorsIsRefusedBeforeSending() throws Exception {
        try (Pair pair = pair()) {
            int[] fds = new int[UnixStream.MAX_FDS_PER_MESSAGE + 1];
            assertThatThrownBy(() -> pair.client().send(new byte[1], fds)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at least 2 bytes");
        }
    }

    @Test
    void nothingInTimeIsEmptyAndAClosedPeerIsTheEndOfTheStream() throws Exception {
        try (Pair pair = pair()) {
            assertThat(pair.server().receive(64, Duration.ofMillis(50))).isEmpty();
            pair.client().close();
            assertThat(pair.server().receive(64, WAIT).orElseThrow().endOfStream()).isTrue();
            assertThatThrownBy(() -> pair.server().send("x".getBytes(StandardCharsets.UTF_8)))
                    .isInstanceOf(IOException.class).hasMessageContaining("closed the connection");
        }
    }

    @Test
    void thePeerIsThisProcessesUser() throws Exception {
        try (Pair pair = pair()) {
            UnixStream.Peer peer = pair.server().peer();
            assertThat(peer.uid()).isEqualTo(ResourceLimits.realUid());
            assertThat(peer.pid()).isEqualTo(ProcessHandle.current().pid());
        }
    }

    @Test
    void theListenersFileIsPrivateAndAStaleOneIsReplaced() throws Exception {
        Path path = dir.resolve("s.sock");
        Files.writeString(path, "stale");
        try (UnixListener listener = UnixListener.listen(path, 4)) {
            assertThat(Files.getPosixFilePermissions(path)).hasToString("[OWNER_READ, OWNER_WRITE]");
            assertThat(listener.accept(Duration.ofMillis(20))).isEmpty();
        }
        assertThatThrownBy(() -> UnixStream.connect(path)).isInstanceOf(IOException.class)
                .hasMessageContaining("ECONNREFUSED");
        assertThatThrownBy(() -> UnixStream.connect(dir.resolve("none.sock"))).isInstanceOf(IOException.class)
                .hasMessageContaining("ENOENT");
    }

    @Test
    void closingWakesAWaitingAccept() throws Exception {
        UnixListener listener = UnixListener.listen(dir.resolve("s.sock"), 4);
        CompletableFuture<Optional<UnixStream>> accepted = CompletableFuture.supplyAsync(() -> listener.accept(Duration.ofMinutes(5)));
        // the accept may start after the close: either way it must end at once and empty
        listener.close();
        assertThat(accepted.get(5, TimeUnit.SECONDS)).isEmpty();
    }
}
