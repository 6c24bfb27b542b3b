package dev.herd.runtime;

import dev.herd.ClusterSpec;
import dev.herd.ListenMode;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a running master refuses to hand over to, and the hand-over's line format. */
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
    void linesAreBoundedJsonObjects() throws IOException {
        assertThat(Handover.read(new ByteArrayInputStream("{\"type\":\"bye\"}\n".getBytes(StandardCharsets.UTF_8))))
                .containsEntry("type", "bye");
        assertThatThrownBy(() -> Handover.read(new ByteArrayInputStream("[1]\n".getBytes(StandardCharsets.UTF_8))))
                .hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> Handover.read(new ByteArrayInputStream("{\"type\":".getBytes(StandardCharsets.UTF_8))))
                .hasMessageContaining("closed the connection");
        byte[] huge = ("{\"x\":\"" + "a".repeat(Handover.MAX_LINE) + "\"}\n").getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> Handover.read(new ByteArrayInputStream(huge))).hasMessageContaining("longer than");
    }
}
