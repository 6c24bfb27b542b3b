package dev.herd.cli;

import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The master's log line is the one Logback wrote with {@code %d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %msg%n}. */
class MasterLogTest {
    private static final String NL = System.lineSeparator();
    private static final Instant AT = Instant.parse("2026-11-23T11:11:15.440Z");

    @Test
    void timestampLevelPaddedToFiveThenTheMessage() {
        assertThat(MasterLogger.line(AT, ZoneId.of("UTC"), Level.INFO, "event=cluster.listening workers=4", null))
                .isEqualTo("2026-11-23T11:11:15.440Z INFO  event=cluster.listening workers=4" + NL);
        assertThat(MasterLogger.line(AT, ZoneId.of("UTC"), Level.WARN, "event=x", null))
                .isEqualTo("2026-11-23T11:11:15.440Z WARN  event=x" + NL);
        assertThat(MasterLogger.line(AT, ZoneId.of("UTC"), Level.ERROR, "event=x", null))
                .isEqualTo("2026-11-23T11:11:15.440Z ERROR event=x" + NL);
        assertThat(MasterLogger.line(AT, ZoneId.of("UTC"), Level.DEBUG, "event=x", null))
                .isEqualTo("2026-11-23T11:11:15.440Z DEBUG event=x" + NL);
    }

    @Test
    void localTimeWithItsOffsetOutsideUtc() {
        assertThat(MasterLogger.line(AT, ZoneId.of("Europe/Berlin"), Level.INFO, "m", null))
                .startsWith("2026-11-23T12:11:15.440+01:00 INFO  m");
        assertThat(MasterLogger.line(AT, ZoneId.of("America/St_Johns"), Level.INFO, "m", null))
                .startsWith("2026-11-23T07:41:15.440-03:30 INFO  m");
        assertThat(MasterLogger.line(Instant.parse("2026-01-02T03:04:05.006Z"), ZoneId.of("Etc/UTC"), Level.INFO, "m", null))
                .startsWith("2026-01-02T03:04:05.006Z INFO  m");
    }

    @Test
    void theMachineZonesOffsetComesFromTimeZoneWithSummerTime() {
        java.util.TimeZone berlin = java.util.TimeZone.getTimeZone("Europe/Berlin");
        assertThat(MasterLogger.offset(berlin, AT)).hasToString("+01:00");
        assertThat(MasterLogger.offset(berlin, Instant.parse("2026-07-01T12:00:00Z"))).hasToString("+02:00");
        assertThat(MasterLogger.offset(java.util.TimeZone.getTimeZone("America/St_Johns"), AT)).hasToString("-03:30");
        assertThat(MasterLogger.offset(java.util.TimeZone.getTimeZone("Etc/UTC"), AT)).hasToString("Z");
    }

    @Test
    void slf4jPlaceholdersAndAThrowableBelowTheLine() {
        List<String> lines = new ArrayList<>();
        MasterLogger log = new MasterLogger("herd.events", MasterLogger.INFO, lines::add);
        log.info("event=worker.ready slot={} pid={}", 1, 42);
        log.debug("event=hidden");
        log.atDebug().log("event=hidden.too");
        log.error("event=supervisor.error message=\"{}\"", "boom", new IllegalStateException("boom"));
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).endsWith(" INFO  event=worker.ready slot=1 pid=42" + NL);
        assertThat(lines.get(1)).contains(" ERROR event=supervisor.error message=\"boom\"" + NL
                + "java.lang.IllegalStateException: boom" + NL + "\tat ");
    }

    @Test
    void levelFromHerdLogLevelAsLogbackReadIt() {
        assertThat(MasterLog.threshold(null)).isEqualTo(MasterLogger.INFO);
        assertThat(MasterLog.threshold("")).isEqualTo(MasterLogger.INFO);
        assertThat(MasterLog.threshold("debug")).isEqualTo(MasterLogger.DEBUG);
        assertThat(MasterLog.threshold("WARN")).isEqualTo(MasterLogger.WARN);
        assertThat(MasterLog.threshold("off")).isEqualTo(MasterLogger.OFF);
        assertThat(MasterLog.threshold("verbose")).isEqualTo(MasterLogger.DEBUG);
    }
}
