package dev.herd.control;

import dev.herd.command.WorkerState;

import dev.herd.command.Answers;
import dev.herd.command.ClusterStatus;
import dev.herd.command.RolloutResult;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The control plane's JSON: enums as labels both ways, answers read back into the result records. */
class ControlJsonTest {
    @Test
    void anAnswerReadsBackIntoTheResultRecords() {
        ControlProtocol.Answer status = ControlProtocol.answer(ControlProtocol.ok(ControlTestRig.STATUS));
        assertThat(status.ok()).isTrue();
        assertThat(status.result(ClusterStatus.class)).isEqualTo(ControlTestRig.STATUS);
        assertThat(status.result(ClusterStatus.class).workers().getFirst().state()).isEqualTo(WorkerState.READY);

        RolloutResult rollout = new RolloutResult("reload", false, 4, "canary crashed", true, List.of(0, 1), 1200);
        assertThat(ControlProtocol.answer(ControlProtocol.ok(rollout)).result(RolloutResult.class)).isEqualTo(rollout);

        Answers.Health health = new Answers.Health(Answers.Health.Status.DEGRADED, 2, 1, List.of(1), null, "enabled",
                "ok", List.of());
        String text = ControlProtocol.ok(health);
        assertThat(text).contains("\"status\":\"degraded\"");
        assertThat(ControlProtocol.answer(text).result(Answers.Health.class)).isEqualTo(health);
        assertThat(ControlProtocol.answer(ControlProtocol.ok(List.of(5L, 6L))).resultList(Long.class)).containsExactly(5L, 6L);

        ControlProtocol.Answer error = ControlProtocol.answer(ControlProtocol.error("no"));
        assertThat(error.ok()).isFalse();
        assertThat(error.error()).isEqualTo("no");
    }

    @Test
    void aWorkerStateIsWrittenAsTheSupervisorsLabel() {
        for (WorkerState state : WorkerState.values()) {
            assertThat(ControlJson.write(state)).isEqualTo("\"" + state.name().toLowerCase(java.util.Locale.ROOT) + "\"");
            assertThat(WorkerState.of(state.label())).isEqualTo(state);
        }
    }

    enum AppEnum { SOME_VALUE }

    @Test
    void anApplicationsEnumIsWrittenAsJacksonWritesIt() {
        assertThat(ControlJson.write(List.of(AppEnum.SOME_VALUE, Answers.Health.Status.DOWN))).isEqualTo("[\"SOME_VALUE\",\"down\"]");
    }

    @Test
    void parsingKeepsOrderAndTellsNothingFromNull() {
        assertThat(ControlJson.parse("  ")).isSameAs(ControlJson.NOTHING);
        assertThat(ControlJson.parse("null")).isNull();
        assertThat(ControlJson.parse("{\"b\":1,\"a\":[true,\"x\",2.5]}")).isEqualTo(Map.of("b", 1, "a", List.of(true, "x", 2.5)));
        assertThat(ControlJson.write(ControlJson.parse("{\"b\":1,\"a\":2}"))).isEqualTo("{\"b\":1,\"a\":2}");
        assertThatThrownBy(() -> ControlJson.parse("{\"a\":")).isInstanceOf(ControlJson.Malformed.class);
    }

    @Test
    void eventsAreKeptAsEventsAndWrittenWhenAsked() {
        EventHub hub = new EventHub();
        hub.onEvent(new dev.herd.Event.ClusterListening(java.time.Instant.parse("2026-01-01T00:00:00Z"), "0.0.0.0:80", 2));
        EventHub.Entry entry = hub.recent(1).getFirst();
        assertThat(entry.event()).isInstanceOf(dev.herd.Event.ClusterListening.class);
        assertThat(entry.json()).isEqualTo("{\"id\":1,\"at\":\"2026-01-01T00:00:00Z\",\"event\":\"cluster.listening\","
                + "\"address\":\"0.0.0.0:80\",\"workers\":2}");
    }
}
