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

    /** Not in alphabetical order, as jackson-jr would write a record's components unless told otherwise. */
    record Declared(String zebra, Integer apple, List<Declared> nested, AppEnum kind) {
    }

    @Test
    void recordsAreWrittenInDeclarationOrderWithTheirNulls() {
        assertThat(ControlJson.write(new Declared("z", null, List.of(new Declared(null, 1, List.of(), AppEnum.SOME_VALUE)), null)))
                .isEqualTo("{\"zebra\":\"z\",\"apple\":null,\"nested\":[{\"zebra\":null,\"apple\":1,\"nested\":[],"
                        + "\"kind\":\"SOME_VALUE\"}],\"kind\":null}");
        Map<String, Object> map = new java.util.LinkedHashMap<>();
        map.put("z", null);
        map.put("a", WorkerState.STARTING);
        assertThat(ControlJson.write(map)).isEqualTo("{\"z\":null,\"a\":\"starting\"}");
        assertThat(ControlJson.pretty(ControlJson.parse("{\"a\":[1,{\"b\":[]}],\"c\":{},\"n\":null}")))
                .isEqualTo(String.join(System.lineSeparator(), "{", "  \"a\" : [ 1, {", "    \"b\" : [ ]", "  } ],",
                        "  \"c\" : { },", "  \"n\" : null", "}"));
    }

    enum Labelled { SOME_VALUE { @Override public String toString() { return "custom"; } } }

    @Test
    void anEnumIsWrittenByItsNameAndReadFromItsNameOrLabelInAnyCase() {
        assertThat(ControlJson.write(Labelled.SOME_VALUE)).isEqualTo("\"SOME_VALUE\"");
        record Holder(Labelled value, WorkerState state) {
        }
        for (String text : List.of("SOME_VALUE", "some_value", "some-value", "Some-Value")) {
            assertThat(ControlJson.convert(Map.of("value", text, "state", "Ready"), Holder.class))
                    .isEqualTo(new Holder(Labelled.SOME_VALUE, WorkerState.READY));
        }
        assertThatThrownBy(() -> ControlJson.convert(Map.of("state", "nope"), Holder.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'nope' is not a WorkerState");
    }

    @Test
    void answersAreReadIgnoringWhatTheRecordDoesNotHave() {
        Object parsed = ControlJson.parse("{\"kind\":\"reload\",\"new\":{\"a\":[1]},\"ok\":true,\"replaced\":[2]}");
        assertThat(ControlJson.convert(parsed, RolloutResult.class))
                .isEqualTo(new RolloutResult("reload", true, 0, null, false, List.of(2), 0));
        assertThat((Object) ControlJson.convert(parsed, Map.class)).isSameAs(parsed);
        List<?> events = ControlJson.convertList(ControlJson.parse("[{\"id\":1,\"at\":null},{\"id\":2}]"), Map.class);
        assertThat(events.stream().map(e -> ((Map<?, ?>) e).get("id")).toList()).isEqualTo(List.of(1, 2));
        assertThat(ControlJson.convertList(List.of(1, 2), Long.class)).containsExactly(1L, 2L);
        assertThat(ControlJson.convert(List.of(3, 4), Long[].class)).containsExactly(3L, 4L);
        assertThatThrownBy(() -> ControlJson.convertList(Map.of(), Long.class)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void numbersAreAsSmallAsFitsAndRepeatedKeysKeepTheLast() {
        assertThat(ControlJson.parse("[1,2147483648,9223372036854775808,1.5,1e3]")).isEqualTo(List.of(1, 2147483648L,
                new java.math.BigInteger("9223372036854775808"), 1.5, 1000.0));
        assertThat(ControlJson.parse("{\"a\":1,\"b\":2,\"a\":3}")).isEqualTo(Map.of("a", 3, "b", 2));
        assertThat(ControlJson.parse("{\"a\":1} and more")).isEqualTo(Map.of("a", 1));
        assertThat(ControlJson.parse("{\"b\":{},\"a\":[]}")).isInstanceOf(java.util.LinkedHashMap.class);
        assertThatThrownBy(() -> ControlJson.parse("[\"secret\" 1]")).isInstanceOf(ControlJson.Malformed.class)
                .hasMessage("Unexpected character ('1' (code 49)): was expecting comma to separate Array entries");
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
