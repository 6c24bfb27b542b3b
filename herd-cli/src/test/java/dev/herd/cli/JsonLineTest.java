package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.jr.ob.JSON;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/** {@code --log-format json}: each master line one JSON object of the event's fields. */
class JsonLineTest {
    private static Map<String, Object> parse(String line) throws Exception {
        assertThat(line).endsWith(System.lineSeparator()).doesNotContain("\n" + "{");
        return JSON.std.mapFrom(line.strip());
    }

    @Test
    void anEventsFieldsBecomeTheObjectsFieldsWithWholeNumbersAsNumbers() throws Exception {
        Map<String, Object> line = parse(JsonLine.of("2026-12-05T16:00:00.000Z", Level.WARN, "dev.herd.x",
                "event=worker.exited slot=1 pid=4242 code=1 reason=crash last_output=\"say \\\"hi\\\" there\" ratio=0.5",
                null));
        assertThat(line).containsEntry("time", "2026-12-05T16:00:00.000Z").containsEntry("level", "WARN")
                .containsEntry("event", "worker.exited").containsEntry("slot", 1).containsEntry("pid", 4242)
                .containsEntry("last_output", "say \"hi\" there").containsEntry("ratio", "0.5");
    }

    @Test
    void workerLinesAndTextThatIsNotLogfmtAndStackTraces() throws Exception {
        assertThat(parse(JsonLine.of("t", Level.INFO, dev.herd.runtime.ClusterRunner.WORKER_LINES,
                "slot=3 | GET / 200 \"quoted\" = odd", null)))
                .containsExactlyInAnyOrderEntriesOf(Map.of("time", "t", "level", "INFO", "slot", 3,
                        "line", "GET / 200 \"quoted\" = odd"));
        String ambiguous = "event=x error=\"a \"b\" c\"";
        assertThat(parse(JsonLine.of("t", Level.INFO, "x", ambiguous, null))).containsEntry("message", ambiguous);
        assertThat(parse(JsonLine.of("t", Level.INFO, "x", "Herd demo: 2 workers", null)))
                .containsEntry("message", "Herd demo: 2 workers");
        assertThat(parse(JsonLine.of("t", Level.ERROR, "x", "event=boom", new IllegalStateException("bad"))))
                .containsEntry("event", "boom").hasEntrySatisfying("trace",
                        trace -> assertThat((String) trace).startsWith("java.lang.IllegalStateException: bad"));
    }

    @Test
    void theFormatIsLogfmtOrJson() {
        assertThat(MasterLog.format("json")).isEqualTo("json");
        assertThatThrownBy(() -> MasterLog.format("xml")).hasMessage("'xml' is not a log format; give logfmt or json");
        assertThat(Cli.execute("run", "--log-format", "xml").err()).contains("'xml' is not a log format");
    }
}
