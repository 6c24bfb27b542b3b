package dev.herd.runtime;

import dev.herd.wire.WorkerProtocol;
import dev.herd.wire.NotifyMessage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

class WorkerProtocolTest {

    @Test
    void lifecycleMessagesMeanWhatTheirNotifyCounterpartsMean() {
        assertThat(WorkerProtocol.parse("{\"v\":1,\"type\":\"ready\"}").ready()).isTrue();
        assertThat(WorkerProtocol.parse("{\"type\":\"heartbeat\"}").heartbeat()).isTrue();
        assertThat(WorkerProtocol.parse("{\"v\":1,\"type\":\"stopping\"}").stopping()).isTrue();
        assertThat(WorkerProtocol.parse("{\"v\":1,\"type\":\"status\",\"text\":\"50% \\\"warm\\\"\"}").status()).isEqualTo("50% \"warm\"");
        NotifyMessage hello = WorkerProtocol.parse("{\"v\":1,\"type\":\"hello\",\"pid\":\"7\"}");
        assertThat(hello.ready() || hello.heartbeat() || hello.stopping() || hello.status() != null).isFalse();
    }

    @Test
    void malformedLinesSayWhatIsWrong() {
        assertThatThrownBy(() -> WorkerProtocol.parse("nope")).hasMessageStartingWith("not JSON: ");
        assertThatThrownBy(() -> WorkerProtocol.parse("[]")).hasMessage("not a JSON object");
        assertThatThrownBy(() -> WorkerProtocol.parse("{\"v\":1}")).hasMessage("no \"type\" string");
        assertThatThrownBy(() -> WorkerProtocol.parse("{\"type\":\"" + "x".repeat(100) + "\"}"))
                .hasMessage("unknown type '" + "x".repeat(40) + "...'");
        assertThatThrownBy(() -> WorkerProtocol.parse("{\"v\":2,\"type\":\"ready\"}"))
                .hasMessage("protocol version 2 is newer than this master's (1)");
        assertThatThrownBy(() -> WorkerProtocol.parse("{\"type\":\"status\",\"text\":3}"))
                .hasMessage("status needs a \"text\" string");
        assertThatThrownBy(() -> WorkerProtocol.parse(WorkerChannel.TOO_LONG)).hasMessageContaining("longer than 65536");
        assertThatThrownBy(() -> WorkerProtocol.parse("{\"v\":\"1\",\"type\":\"ready\"}"))
                .hasMessage("protocol version \"1\" is newer than this master's (1)");
        assertThatThrownBy(() -> WorkerProtocol.parse("{\"v\":null,\"type\":\"ready\"}"))
                .hasMessage("protocol version null is newer than this master's (1)");
        assertThatThrownBy(() -> WorkerProtocol.read("{\"type\":\"ask\",\"id\":true,\"kind\":\"k\"}"))
                .hasMessage("\"id\" must be a string");
        assertThatThrownBy(() -> WorkerProtocol.read("{\"type\":\"message\"}")).hasMessage("message needs a \"payload\" string");
        assertThatThrownBy(() -> WorkerProtocol.read("{\"type\":\"counters\",\"connections\":1.0,\"requests\":0}"))
                .hasMessage("\"connections\" must be a count, not '1.0'");
    }

    @Test
    void theVersionIsReadAsTheTreeModelReadItAndNumbersPassAsText() {
        assertThat(WorkerProtocol.parse("{\"v\":1.0,\"type\":\"ready\"}").ready()).isTrue();
        assertThat(WorkerProtocol.read("{\"type\":\"ask\",\"id\":7,\"kind\":\"config\"}"))
                .isEqualTo(new WorkerProtocol.Ask("7", "config", ""));
        assertThat(WorkerProtocol.read("{\"type\":\"counters\",\"connections\":5,\"requests\":\"6\"}"))
                .isEqualTo(new WorkerProtocol.Counters(5, 6));
        assertThat(WorkerProtocol.line("notify", "kind", "k", "payload", "p\"")).isEqualTo(
                "{\"v\":1,\"type\":\"notify\",\"kind\":\"k\",\"payload\":\"p\\\"\"}");
        assertThat(WorkerProtocol.answer("1", false, null)).isEqualTo("{\"v\":1,\"type\":\"answer\",\"id\":\"1\",\"ok\":false,\"error\":null}");
    }

    @Test
    void aLineOverTheLimitIsSkippedToItsEndAndTheNextOneReadWhole() throws IOException {
        String text = "x".repeat(WorkerChannel.MAX_LINE + 10) + "\n{\"type\":\"ready\"}\nlast";
        BufferedReader in = new BufferedReader(new StringReader(text));
        assertThat(WorkerChannel.readLine(in)).isEqualTo(WorkerChannel.TOO_LONG);
        assertThat(WorkerChannel.readLine(in)).isEqualTo("{\"type\":\"ready\"}");
        assertThat(WorkerChannel.readLine(in)).isEqualTo("last");
        assertThat(WorkerChannel.readLine(in)).isNull();
    }
}
