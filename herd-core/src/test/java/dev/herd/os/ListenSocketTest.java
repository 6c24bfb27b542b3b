package dev.herd.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;

class ListenSocketTest {

    @Test
    void ipv4EphemeralPortAcceptsConnections() throws Exception {
        try (ListenSocket socket = ListenSocket.open(new InetSocketAddress("127.0.0.1", 0), 16, false)) {
            assertThat(socket.localAddress().getPort()).isPositive();
            assertThat(socket.localAddress().getAddress()).isEqualTo(InetAddress.getByName("127.0.0.1"));
            assertThat(socket.inode()).isEqualTo(ProcFs.socketInode(socket.fd()));
            try (Socket client = new Socket()) {
                client.connect(socket.localAddress(), 2000);
                assertThat(client.isConnected()).isTrue();
            }
        }
    }

    @Test
    void ipv6LoopbackAcceptsConnections() throws Exception {
        try (ListenSocket socket = ListenSocket.open(new InetSocketAddress("::1", 0), 16, false);
                Socket client = new Socket()) {
            assertThat(socket.localAddress().getAddress()).isEqualTo(InetAddress.getByName("::1"));
            client.connect(socket.localAddress(), 2000);
            assertThat(client.isConnected()).isTrue();
        }
    }

    @Test
    void ipv6WildcardIsDualStack() throws Exception {
        try (ListenSocket socket = ListenSocket.open(new InetSocketAddress("::", 0), 16, false);
                Socket client = new Socket()) {
            client.connect(new InetSocketAddress("127.0.0.1", socket.localAddress().getPort()), 2000);
            assertThat(client.isConnected()).isTrue();
        }
    }

    @Test
    void bindingABoundPortNamesTheAddress() {
        try (ListenSocket first = ListenSocket.open(new InetSocketAddress("127.0.0.1", 0), 16, false)) {
            int port = first.localAddress().getPort();
            assertThatThrownBy(() -> ListenSocket.open(new InetSocketAddress("127.0.0.1", port), 16, false))
                    .isInstanceOfSatisfying(NativeException.class, e -> {
                        assertThat(e.errnoName()).isEqualTo("EADDRINUSE");
                        assertThat(e.call()).isEqualTo("bind");
                        assertThat(e.getMessage())
                                .isEqualTo("bind(127.0.0.1:" + port + ") failed: EADDRINUSE (Address already in use)");
                    });
        }
    }

    @Test
    void reusePortSocketsShareAPort() throws Exception {
        try (ListenSocket a = ListenSocket.open(new InetSocketAddress("127.0.0.1", 0), 16, true);
                ListenSocket b = ListenSocket.open(
                        new InetSocketAddress("127.0.0.1", a.localAddress().getPort()), 16, true)) {
            assertThat(b.localAddress()).isEqualTo(a.localAddress());
            assertThat(b.inode()).isNotEqualTo(a.inode());
        }
    }

    @Test
    void closeIsIdempotentAndReleasesThePort() throws Exception {
        ListenSocket socket = ListenSocket.open(new InetSocketAddress("127.0.0.1", 0), 16, false);
        int port = socket.localAddress().getPort();
        socket.close();
        socket.close();
        try (ServerSocketChannel again = ServerSocketChannel.open()) {
            again.bind(new InetSocketAddress("127.0.0.1", port));
        }
        assertThatThrownBy(() -> SocketChannel.open(new InetSocketAddress("127.0.0.1", port)))
                .isInstanceOf(java.io.IOException.class);
    }
}
