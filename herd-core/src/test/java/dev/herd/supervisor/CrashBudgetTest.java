package dev.herd.supervisor;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CrashBudgetTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void moreThanTheLimitWithinTheWindowExhaustsIt() {
        CrashBudget budget = new CrashBudget(3, 60 * SECOND, 100);
        assertThat(budget.record(0)).isEqualTo(1);
        assertThat(budget.record(SECOND)).isEqualTo(2);
        assertThat(budget.record(2 * SECOND)).isEqualTo(3);
        assertThat(budget.exhausted(2 * SECOND)).isFalse();
        assertThat(budget.record(3 * SECOND)).isEqualTo(4);
        assertThat(budget.exhausted(3 * SECOND)).isTrue();
    }

    @Test
    void exitsOlderThanTheWindowNoLongerCount() {
        CrashBudget budget = new CrashBudget(2, 60 * SECOND, 100);
        budget.record(0);
        budget.record(10 * SECOND);
        assertThat(budget.record(60 * SECOND)).isEqualTo(2); // the one at 0 fell out exactly at 60 s
        assertThat(budget.recent(200 * SECOND)).isZero();
    }

    @Test
    void resetForgetsAndLimitMustBePositive() {
        CrashBudget budget = new CrashBudget(1, SECOND, 100);
        budget.record(0);
        budget.record(1);
        budget.reset();
        assertThat(budget.exhausted(2)).isFalse();
        assertThatThrownBy(() -> new CrashBudget(0, SECOND, 5)).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> new CrashBudget(10, SECOND, 0)).hasMessageContaining("at least 1");
    }

    /** The exits of a worker that never starts, spaced by the default restart delays (200 ms doubling to 30 s). */
    private static long[] exitTimesWithDefaultBackoff(int count) {
        RestartBackoff backoff = RestartBackoff.initial(java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(30),
                ExitHandler.CALM_PERIOD);
        long[] times = new long[count];
        long now = 0;
        for (int i = 0; i < count; i++) {
            times[i] = now;
            backoff = backoff.afterCrash(java.time.Duration.ZERO);
            now += backoff.delay().toNanos();
        }
        return times;
    }

    @Test
    void theWindowAloneNeverStopsAWorkerThatNeverStartsButTheFailedStartsDo() {
        long[] exits = exitTimesWithDefaultBackoff(200);
        CrashBudget windowOnly = new CrashBudget(10, 60 * SECOND, Integer.MAX_VALUE);
        for (long at : exits) {
            assertThat(windowOnly.afterExit(at, true).exhausted()).as("exit at %d s", at / SECOND).isFalse();
        }
        CrashBudget defaults = new CrashBudget(10, 60 * SECOND, 5);
        CrashBudget.Verdict verdict = null;
        int exit = 0;
        while (verdict == null || !verdict.exhausted()) {
            verdict = defaults.afterExit(exits[exit++], true);
        }
        assertThat(exit).isEqualTo(5);
        assertThat(verdict.exceeded()).isEqualTo(CrashBudget.Limit.FAILED_STARTS);
        assertThat(verdict.failedStarts()).isEqualTo(5);
        assertThat(exits[exit - 1]).isEqualTo(3_000_000_000L); // 0.2 + 0.4 + 0.8 + 1.6 s of waiting
        assertThat(defaults.limit(CrashBudget.Limit.FAILED_STARTS)).isEqualTo(5);
    }

    @Test
    void aReadyWorkerEndsTheStreakOfFailedStarts() {
        CrashBudget budget = new CrashBudget(100, 60 * SECOND, 3);
        assertThat(budget.afterExit(0, true).failedStarts()).isEqualTo(1);
        assertThat(budget.afterExit(SECOND, true).failedStarts()).isEqualTo(2);
        budget.workerReady();
        assertThat(budget.afterExit(2 * SECOND, true).exhausted()).isFalse();
        assertThat(budget.afterExit(3 * SECOND, true).exhausted()).isFalse();
        CrashBudget.Verdict third = budget.afterExit(4 * SECOND, true);
        assertThat(third.exceeded()).isEqualTo(CrashBudget.Limit.FAILED_STARTS);
        assertThat(third.recentExits()).isEqualTo(5);
    }

    @Test
    void aCrashAfterBeingReadyIsNoFailedStartAndEndsTheStreak() {
        CrashBudget budget = new CrashBudget(100, 60 * SECOND, 2);
        budget.afterExit(0, true);
        CrashBudget.Verdict crash = budget.afterExit(SECOND, false);
        assertThat(crash.failedStarts()).isZero();
        assertThat(crash.exhausted()).isFalse();
        assertThat(budget.afterExit(2 * SECOND, true).exhausted()).isFalse();
    }

    @Test
    void workersThatServedAndCrashStillFailTheSlotByTheWindow() {
        CrashBudget budget = new CrashBudget(10, 60 * SECOND, 5);
        for (int i = 0; i < 10; i++) {
            assertThat(budget.afterExit(i * SECOND, false).exhausted()).isFalse();
        }
        CrashBudget.Verdict eleventh = budget.afterExit(10 * SECOND, false);
        assertThat(eleventh.exceeded()).isEqualTo(CrashBudget.Limit.RESTARTS_PER_MINUTE);
        assertThat(eleventh.recentExits()).isEqualTo(11);
        assertThat(budget.limit(CrashBudget.Limit.RESTARTS_PER_MINUTE)).isEqualTo(10);
    }

    @Test
    void resetForgetsFailedStartsToo() {
        CrashBudget budget = new CrashBudget(100, 60 * SECOND, 2);
        budget.afterExit(0, true);
        budget.reset();
        assertThat(budget.afterExit(SECOND, true).exhausted()).isFalse();
    }
}
