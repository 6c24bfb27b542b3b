package dev.herd.supervisor;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class RestartBackoffTest {
    private static final Duration CALM = Duration.ofSeconds(30);

    @Test
    void quickCrashesDoubleTheDelayUpToTheCeiling() {
        RestartBackoff backoff = RestartBackoff.initial(Duration.ofMillis(100), Duration.ofMillis(1000), CALM);
        long[] delays = new long[6];
        for (int i = 0; i < delays.length; i++) {
            backoff = backoff.afterCrash(Duration.ofMillis(50));
            delays[i] = backoff.delay().toMillis();
        }
        assertThat(delays).containsExactly(100, 200, 400, 800, 1000, 1000);
    }

    @Test
    void zeroBaseRestartsAtOnceFirstThenStillBacksOff() {
        RestartBackoff backoff = RestartBackoff.initial(Duration.ZERO, Duration.ofSeconds(30), CALM);
        backoff = backoff.afterCrash(Duration.ZERO);
        assertThat(backoff.delay()).isZero();
        backoff = backoff.afterCrash(Duration.ZERO);
        assertThat(backoff.delay()).isEqualTo(Duration.ofMillis(200));
        backoff = backoff.afterCrash(Duration.ZERO);
        assertThat(backoff.delay()).isEqualTo(Duration.ofMillis(400));
    }

    @Test
    void eachCalmPeriodHalvesTheDelayAndALongCalmResetsIt() {
        RestartBackoff backoff = RestartBackoff.initial(Duration.ofMillis(100), Duration.ofSeconds(30), CALM);
        for (int i = 0; i < 5; i++) {
            backoff = backoff.afterCrash(Duration.ofMillis(10)); // 100 200 400 800 1600
        }
        assertThat(backoff.delay()).isEqualTo(Duration.ofMillis(1600));
        RestartBackoff oneCalm = backoff.afterCrash(CALM); // halves to 800, then doubles for this crash
        assertThat(oneCalm.delay()).isEqualTo(Duration.ofMillis(1600));
        RestartBackoff twoCalm = backoff.afterCrash(CALM.multipliedBy(2)); // 400, then doubled
        assertThat(twoCalm.delay()).isEqualTo(Duration.ofMillis(800));
        RestartBackoff longCalm = backoff.afterCrash(Duration.ofHours(1));
        assertThat(longCalm.delay()).isEqualTo(Duration.ofMillis(100));
        assertThat(longCalm.streak()).isEqualTo(1);
    }
}
