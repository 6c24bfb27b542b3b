package dev.herd.runtime;

import dev.herd.ClusterSpec;
import dev.herd.ListenMode;
import dev.herd.os.ListenSocket;
import dev.herd.os.UnixListener;
import dev.herd.os.UnixStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a running master refuses to hand over to, the hand-over's line format, and the sockets of its answer. */
class HandoverTest {
    private static final InetSocketAddress BOUND = new InetSocketAddress("127.0.0.1", 8080);

    private static ClusterSpec spec(ListenMode mode, int workers, boolean sticky) {
        return ClusterSpec.builder().mode(mode).workers(workers).sticky(sticky).host("127.0.0.1").port(8080)
                .command(List.of("/bin/true")).stateDir(Path.of("/tmp/herd-unit")).build();
    }

    private static Handover.Hello hello(String mode, String host, int port, int workers, boolean sticky) {
        return new Handover.Hello(Handover.PROTOCOL, 42, mode, host, port, workers, sticky);
    }

    @Test
    void theSameModeAndAddressIsAccepted() {
        assertThat(Handover.refusal(hello("shared", "127.0.0.1", 8080, 8, false), spec(ListenMode.SHARED, 2, false), BOUND))
                .as("another worker count is fine where sockets are not per slot").isNull();
        assertThat(Handover.refusal(hello("shared", "127.0.0.1", 0, 2, false), spec(ListenMode.SHARED, 2, false), BOUND))
                .as("port 0 takes the running master's port").isNull();
        assertThat(Handover.refusal(hello("reuseport", "127.0.0.1", 8080, 4, true), spec(ListenMode.REUSEPORT, 4, true),
                BOUND)).isNull();
    }

    @Test
    void anotherModeAddressProtocolOrGroupIsRefusedSayingWhatToDo() {
        assertThat(Handover.refusal(hello("proxy", "127.0.0.1", 8080, 2, false), spec(ListenMode.SHARED, 2, false), BOUND))
                .isEqualTo("the running master serves in shared mode; the new one asks for proxy mode; take over with --mode shared");
        assertThat(Handover.refusal(hello("shared", "127.0.0.1", 9090, 2, false), spec(ListenMode.SHARED, 2, false), BOUND))
                .contains("serves 127.0.0.1:8080; the new one asks for 127.0.0.1:9090");
        assertThat(Handover.refusal(hello("shared", "0.0.0.0", 8080, 2, false), spec(ListenMode.SHARED, 2, false), BOUND))
                .contains("take over with the same --host and --port");
        assertThat(Handover.refusal(new Handover.Hello(Handover.PROTOCOL + 1, 42, "shared", "127.0.0.1", 8080, 2, false),
                spec(ListenMode.SHARED, 2, false), BOUND)).contains("speaks hand-over protocol " + Handover.PROTOCOL);
        assertThat(Handover.refusal(hello("reuseport", "127.0.0.1", 8080, 2, true), spec(ListenMode.REUSEPORT, 4, true),
                BOUND)).contains("take over with --workers 4 --sticky (then scale)");
        assertThat(Handover.refusal(hello("nat", "127.0.0.1", 8080, 2, false), spec(ListenMode.NAT, 2, false), BOUND))
                .isNull();
        assertThat(Handover.refusal(hello("nat", "127.0.0.1", 8080, 3, false), spec(ListenMode.NAT, 2, false), BOUND))
                .contains("nat rules have 2 slots; take over with --workers 2");
    }

    @Test
    void linesAreBoundedJsonObjectsReadWithinATimeLimit(@TempDir Path dir) throws IOException {
        try (UnixListener listener = UnixListener.listen(dir.resolve("t.sock"), 1);
             UnixStream sender = UnixStream.connect(listener.path());
             HandoverConnection receiver = new HandoverConnection(listener.accept(Duration.ofSeconds(5)).orElseThrow())) {
            sender.send("{\"type\":\"bye\"}\n[1]\n".getBytes(StandardCharsets.UTF_8));
            assertThat(receiver.read(Duration.ofSeconds(5), Handover.MAX_LINE, "bye")).containsEntry("type", "bye");
            assertThatThrownBy(() -> receiver.read(Duration.ofSeconds(5), Handover.MAX_LINE, "x"))
                    .hasMessageContaining("not a JSON object");
            assertThatThrownBy(() -> receiver.read(Duration.ofMillis(50), Handover.MAX_LINE, "confirmation"))
                    .hasMessageContaining("no confirmation within");
            sender.send(("{\"x\":\"" + "a".repeat(Handover.MAX_LINE) + "\"}\n").getBytes(StandardCharsets.UTF_8));
            assertThatThrownBy(() -> receiver.read(Duration.ofSeconds(5), Handover.MAX_LINE, "x"))
                    .hasMessageContaining("longer than");
        }
        try (UnixListener listener = UnixListener.listen(dir.resolve("u.sock"), 1)) {
            UnixStream sender = UnixStream.connect(listener.path());
            HandoverConnection receiver = new HandoverConnection(listener.accept(Duration.ofSeconds(5)).orElseThrow());
            sender.send("{\"type\":".getBytes(StandardCharsets.UTF_8));
            sender.close();
            assertThatThrownBy(() -> receiver.read(Duration.ofSeconds(5), Handover.MAX_LINE, "x"))
                    .hasMessageContaining("closed the connection");
            receiver.close();
        }
    }

    @Test
    void theCountersOfTheAnswerKeepWhatIsACountAndLeaveOutTheRest() {
        Map<String, Object> ready = Map.of("restarts", Map.of("0", 2, "1", 0, "x", 5, "-1", 3, "2", "many"),
                "served", Map.of("500", List.of(3, 40), "501", List.of(1), "502", List.of(-1, 2), "pid", List.of(1, 1)));
        dev.herd.supervisor.CarriedCounters counters = HandoverClient.counters(ready);
        assertThat(counters.restartsBySlot()).containsExactly(Map.entry(0, 2));
        assertThat(counters.servedByPid()).containsExactly(Map.entry(500L, new dev.herd.supervisor.CarriedCounters.Served(3, 40)));
        assertThat(HandoverClient.counters(Map.of()).restartsBySlot()).isEmpty();
    }

    @Test
    void theSocketsOfTheAnswerMustMatchTheirDescriptions() throws IOException {
        try (ListenSocket socket = ListenSocket.open(new InetSocketAddress("127.0.0.1", 0), 4, false)) {
            int port = socket.localAddress().getPort();
            try (HandedSockets sockets = HandedSockets.of(List.of(Map.of("port", port)), new int[] {dup(socket)})) {
                assertThat(sockets.take(socket.inode() + 1)).isEmpty();
                assertThat(sockets.takeOnPort(port + 1, false)).isEmpty();
                assertThat(sockets.count()).isEqualTo(1);
                OptionalInt fd = sockets.take(socket.inode());
                assertThat(fd).isPresent();
                UnixStream.closeDescriptor(fd.getAsInt());
                assertThat(sockets.count()).isZero();
            }
            int copy = dup(socket);
            assertThatThrownBy(() -> HandedSockets.of(List.of(), new int[] {copy})).hasMessageContaining("described 0");
            assertThat(Path.of("/proc/self/fd", Integer.toString(copy))).doesNotExist(); // closed on refusal
            int another = dup(socket);
            assertThatThrownBy(() -> HandedSockets.of(List.of(Map.of("port", 0)), new int[] {another}))
                    .hasMessageContaining("no port");
        }
    }

    /** A second descriptor of the socket, as one sent would arrive. */
    private static int dup(ListenSocket socket) throws IOException {
        try (UnixListener listener = UnixListener.listen(Path.of(System.getProperty("java.io.tmpdir"),
                "herd-dup-" + ProcessHandle.current().pid() + ".sock"), 1);
             UnixStream sender = UnixStream.connect(listener.path());
             UnixStream receiver = listener.accept(Duration.ofSeconds(5)).orElseThrow()) {
            sender.send(new byte[] {'\n'}, socket.fd());
            return receiver.receive(8, Duration.ofSeconds(5)).orElseThrow().fds()[0];
        } finally {
            java.nio.file.Files.deleteIfExists(Path.of(System.getProperty("java.io.tmpdir"),
                    "herd-dup-" + ProcessHandle.current().pid() + ".sock"));
        }
    }
}
