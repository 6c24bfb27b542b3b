package dev.herd.cron;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CronScheduleTest {
    private static final ZoneId UTC = ZoneOffset.UTC;

    @Test
    void theNextTimeIsStrictlyAfterAndInTheMastersZone() {
        CronSchedule daily = CronSchedule.parse("0 4 * * *", UTC);
        assertThat(daily.next(Instant.parse("2026-12-05T03:59:59Z"))).contains(Instant.parse("2026-12-05T04:00:00Z"));
        assertThat(daily.next(Instant.parse("2026-12-05T04:00:00Z"))).contains(Instant.parse("2026-12-06T04:00:00Z"));
        CronSchedule paris = CronSchedule.parse("0 4 * * *", ZoneId.of("Europe/Paris"));
        assertThat(paris.next(Instant.parse("2026-12-05T00:00:00Z"))).contains(Instant.parse("2026-12-05T03:00:00Z"));
        assertThat(CronSchedule.parse("*/15 9-17 * * mon-fri", UTC).next(Instant.parse("2026-12-05T12:00:00Z")))
                .as("a Saturday: Monday 09:00").contains(Instant.parse("2026-12-07T09:00:00Z"));
    }

    @Test
    void aBadExpressionNamesTheFieldThatIsWrong() {
        assertThatThrownBy(() -> CronSchedule.parse("0 25 * * *", UTC)).hasMessageStartingWith("has a bad hour field '25'")
                .hasMessageContaining("minute hour day-of-month month day-of-week");
        assertThatThrownBy(() -> CronSchedule.parse("0 4 * 13 *", UTC)).hasMessageStartingWith("has a bad month field '13'");
        assertThatThrownBy(() -> CronSchedule.parse("x 4 * * *", UTC)).hasMessageStartingWith("has a bad minute field 'x'");
        assertThatThrownBy(() -> CronSchedule.parse("0 4 * *", UTC)).hasMessageStartingWith("has 4 fields; a cron expression has 5");
        assertThatThrownBy(() -> CronSchedule.parse("  ", UTC)).hasMessageStartingWith("has 0 fields");
        assertThatThrownBy(() -> CronSchedule.parse("0 0 0 4 * * *", UTC)).hasMessageStartingWith("has 7 fields");
    }
}
