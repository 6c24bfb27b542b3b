package dev.herd.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class ListenerCopyTest {
    @RegisterExtension
    final Children children = new Children();

    @TempDir
    Path dir;

    /** A child that holds the only reference to a socket listening on a loopback port; returns its pid. */
    private int childListeningAlone(ListenSocket socket) {
        int pid = children.spawn(new SpawnRequest(List.of("sleep", "30"), Children.basicEnv(), null,
                socket.fd(), 0, dir.resolve("child.log")));
        socket.close();
        return pid;
    }

    @Test
    void withoutACopyTheSocketDiesWithItsProcess() {
        ListenSocket socket = ListenSocket.open(new InetSocketAddress("127.0.0.1", 0), 8, false);
        int port = socket.localAddress().getPort();
        children.kill(childListeningAlone(socket));

        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
    }

    @Test
    void theCopyKeepsTheSocketListeningAfterItsProcessDiedAndAcceptsWhatQueued() throws IOException {
        ListenSocket socket = ListenSocket.open(new InetSocketAddress("127.0.0.1", 0), 8, false);
        int port = socket.localAddress().getPort();
        int pid = childListeningAlone(socket);

        Optional<ListenerCopy> taken = ListenerCopy.take(pid, port, false);
        assertThat(taken).isPresent();
        try (ListenerCopy copy = taken.get()) {
            children.kill(pid);
            try (Socket client = new Socket("127.0.0.1", port); // queued in the copied socket's backlog
                 ServerSocketChannel channel = copy.toChannel()) {
                OutputStream out = client.getOutputStream();
                out.write("ping".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                try (SocketChannel accepted = channel.accept()) {
                    assertThat(accepted.getRemoteAddress()).isEqualTo(client.getLocalSocketAddress());
                    ByteBuffer received = ByteBuffer.allocate(4);
                    while (received.hasRemaining() && accepted.read(received) >= 0) {
                        // until the 4 bytes are in
                    }
                    assertThat(new String(received.array(), StandardCharsets.US_ASCII)).isEqualTo("ping");
                    accepted.write(ByteBuffer.wrap("pong".getBytes(StandardCharsets.US_ASCII)));
                    InputStream in = client.getInputStream();
                    assertThat(new String(in.readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("pong");
                }
            }
            assertThatThrownBy(copy::toChannel).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("port " + port);
        }
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close())
                .as("closing the channel closed the last reference to the socket")
                .isInstanceOf(ConnectException.class);
    }

    @Test
    void aProcessWithoutASocketOnThePortHasNothingToCopy() {
        int pid = children.spawn(List.of("sleep", "30"), dir.resolve("sleep.log"));
        try (ListenSocket unrelated = ListenSocket.open(new InetSocketAddress("127.0.0.1", 0), 8, false)) {
            assertThat(ListenerCopy.take(pid, unrelated.localAddress().getPort(), false)).isEmpty();
        }
    }

    @Test
    void parsesListeningRowsOfProcNetTcp() {
        String listening = "   3: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41234 1 "
                + "0000000000000000 100 0 0 10 0";
        String established = "   4: 0100007F:1F90 0100007F:D2A4 01 00000000:00000000 00:00000000 00000000     0        0 41299 1 "
                + "0000000000000000 20 4 30 10 -1";
        String ipv6 = "   0: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A "
                + "00000000:00000000 00:00000000 00000000     0        0 51234 1 0000000000000000 100 0 0 10 0";
        assertThat(ProcFs.listeningInode(listening, 8080)).isEqualTo(41234);
        assertThat(ProcFs.listeningInode(listening, 8081)).isEqualTo(-1);
        assertThat(ProcFs.listeningInode(established, 8080)).isEqualTo(-1);
        assertThat(ProcFs.listeningInode(ipv6, 8081)).isEqualTo(51234);
        assertThat(ProcFs.listeningInode("garbage", 8080)).isEqualTo(-1);
    }
}
