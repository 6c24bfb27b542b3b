package dev.herd.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerTest {

    private static final Worker.InheritedChannelSource NONE = () -> null;

    @Test
    void standaloneDefaults() {
        Worker w = new Worker(Map.of(), NONE);
        assertThat(w.supervised()).isFalse();
        assertThat(w.slot()).isZero();
        assertThat(w.generation()).isZero();
    }

    @Test
    void supervisedReadsSlotAndGeneration() {
        Worker w = new Worker(Map.of("HERD_WORKER_ID", "3", "HERD_GENERATION", "7", "WORKER_ID", "9"), NONE);
        assertThat(w.supervised()).isTrue();
        assertThat(w.slot()).isEqualTo(3);
        assertThat(w.generation()).isEqualTo(7);
    }

    @Test
    void workerIdIsAFallbackForTheSlotButNotSupervision() {
        Worker w = new Worker(Map.of("WORKER_ID", "2"), NONE);
        assertThat(w.supervised()).isFalse();
        assertThat(w.slot()).isEqualTo(2);
    }

    @Test
    void emptyValuesCountAsUnset() {
        Worker w = new Worker(Map.of("HERD_WORKER_ID", "", "HERD_GENERATION", "", "PORT", ""), NONE);
        assertThat(w.supervised()).isFalse();
        assertThat(w.slot()).isZero();
        assertThat(w.generation()).isZero();
    }

    @Test
    void badValuesNameTheVariableAndTheValue() {
        assertThatThrownBy(() -> new Worker(Map.of("HERD_WORKER_ID", "one"), NONE))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("HERD_WORKER_ID").hasMessageContaining("'one'");
        assertThatThrownBy(() -> new Worker(Map.of("HERD_WORKER_ID", "-1"), NONE))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("'-1'");
        assertThatThrownBy(() -> new Worker(Map.of("WORKER_ID", "x"), NONE))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("WORKER_ID");
        assertThatThrownBy(() -> new Worker(Map.of("HERD_GENERATION", "1.5"), NONE))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("HERD_GENERATION").hasMessageContaining("'1.5'");
    }

    @Test
    void badPortOnlyMattersWhenBinding() {
        Worker w = new Worker(Map.of("PORT", "http"), NONE);
        assertThatThrownBy(w::serverChannel)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("PORT").hasMessageContaining("'http'");
        assertThatThrownBy(() -> new Worker(Map.of("PORT", "70000"), NONE).serverChannel())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("'70000'");
    }

    @Test
    void standaloneBindsPortItselfAndCachesTheChannel() throws IOException {
        Worker w = new Worker(Map.of("PORT", "0"), NONE);
        try (ServerSocketChannel ch = w.serverChannel()) {
            assertThat(ch.isOpen()).isTrue();
            assertThat(ch.isBlocking()).isTrue();
            InetSocketAddress local = (InetSocketAddress) ch.getLocalAddress();
            assertThat(local.getAddress().isAnyLocalAddress()).isTrue();
            assertThat(local.getPort()).isPositive();
            assertThat(w.serverChannel()).isSameAs(ch);
        }
    }

    @Test
    void supervisedReturnsTheInheritedServerChannel() throws IOException {
        try (ServerSocketChannel inheritedChannel = ServerSocketChannel.open()) {
            inheritedChannel.bind(new InetSocketAddress("127.0.0.1", 0));
            Worker w = new Worker(Map.of("HERD_WORKER_ID", "0"), () -> inheritedChannel);
            assertThat(w.serverChannel()).isSameAs(inheritedChannel);
            assertThat(w.serverChannel()).isSameAs(inheritedChannel);
        }
    }

    @Test
    void supervisedWithoutInheritedSocketFailsClearly() {
        Worker w = new Worker(Map.of("HERD_WORKER_ID", "1", "HERD_SOCKET_FD", "0", "PORT", "0"), NONE);
        assertThatThrownBy(w::serverChannel)
                .isInstanceOf(IOException.class)
                .hasMessageContaining("fd 0")
                .hasMessageContaining("--socket-fd 3")
                .hasMessageContaining("LISTEN_FDS");
    }

    @Test
    void supervisedWithAConnectedSocketOnFd0FailsClearly() throws IOException {
        try (SocketChannel notAServer = SocketChannel.open()) {
            Worker w = new Worker(Map.of("HERD_WORKER_ID", "1"), () -> notAServer);
            assertThatThrownBy(w::serverChannel)
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("fd 0")
                    .hasMessageContaining("SocketChannel");
        }
    }

    @Test
    void currentIsASingleton() {
        assertThat(Worker.current()).isSameAs(Worker.current());
    }

    @Test
    void inHerdsProxyModeTheWorkerBindsItsPrivatePortOnLoopback() throws Exception {
        int free;
        try (ServerSocketChannel probe = ServerSocketChannel.open()) {
            probe.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            free = ((java.net.InetSocketAddress) probe.getLocalAddress()).getPort();
        }
        Worker w = new Worker(Map.of("HERD_WORKER_ID", "1", "PORT", Integer.toString(free)), NONE);
        try (ServerSocketChannel ch = w.serverChannel()) {
            java.net.InetSocketAddress bound = (java.net.InetSocketAddress) ch.getLocalAddress();
            assertThat(bound.getPort()).isEqualTo(free);
            assertThat(bound.getAddress().isLoopbackAddress()).isTrue();
        }
        // with a socket handed over (HERD_SOCKET_FD set), PORT is not a reason to bind
        Worker inherited = new Worker(Map.of("HERD_WORKER_ID", "1", "HERD_SOCKET_FD", "0", "PORT", "1"), NONE);
        assertThatThrownBy(inherited::serverChannel).hasMessageContaining("expected its listening socket on fd 0");
    }

    @Test
    void talksToTheMasterOverItsChannelAndNeverFailsWithoutOne() throws Exception {
        Worker standalone = new Worker(Map.of(), NONE);
        org.assertj.core.api.Assertions.assertThat(standalone.ready()).isFalse();
        org.assertj.core.api.Assertions.assertThat(standalone.heartbeat()).isFalse();
        org.assertj.core.api.Assertions.assertThat(standalone.watchdogInterval()).isEqualTo(java.time.Duration.ZERO);

        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("herd-channel-");
        java.nio.file.Path path = dir.resolve("w.chan");
        try (java.nio.channels.ServerSocketChannel master = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            master.bind(java.net.UnixDomainSocketAddress.of(path));
            Worker worker = new Worker(Map.of("HERD_WORKER_ID", "1", "HERD_CHANNEL", path.toString(),
                    "HERD_WATCHDOG_MS", "3000"), NONE);
            org.assertj.core.api.Assertions.assertThat(worker.watchdogInterval()).isEqualTo(java.time.Duration.ofSeconds(1));
            org.assertj.core.api.Assertions.assertThat(worker.ready()).isTrue();
            org.assertj.core.api.Assertions.assertThat(worker.status("a \"quoted\"\nline")).isTrue();
            org.assertj.core.api.Assertions.assertThat(worker.heartbeat()).isTrue();
            try (java.nio.channels.SocketChannel connection = master.accept();
                 java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(
                         java.nio.channels.Channels.newInputStream(connection), java.nio.charset.StandardCharsets.UTF_8))) {
                org.assertj.core.api.Assertions.assertThat(in.readLine()).startsWith("{\"v\":1,\"type\":\"hello\",\"pid\":\"");
                org.assertj.core.api.Assertions.assertThat(in.readLine()).isEqualTo("{\"v\":1,\"type\":\"ready\"}");
                org.assertj.core.api.Assertions.assertThat(in.readLine())
                        .isEqualTo("{\"v\":1,\"type\":\"status\",\"text\":\"a \\\"quoted\\\"\\nline\"}");
                org.assertj.core.api.Assertions.assertThat(in.readLine()).isEqualTo("{\"v\":1,\"type\":\"heartbeat\"}");
            }
            // the master is gone: messages are dropped, nothing throws
            org.assertj.core.api.Assertions.assertThat(worker.heartbeat()).isFalse();
        } finally {
            java.nio.file.Files.deleteIfExists(path);
            java.nio.file.Files.deleteIfExists(dir);
        }
    }
}
