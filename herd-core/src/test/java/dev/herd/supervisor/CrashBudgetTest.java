package dev.herd.supervisor;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CrashBudgetTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void moreThanTheLimitWithinTheWindowExhaustsIt() {
        CrashBudget budget = new CrashBudget(3, 60 * SECOND);
        assertThat(budget.record(0)).isEqualTo(1);
        assertThat(budget.record(SECOND)).isEqualTo(2);
        assertThat(budget.record(2 * SECOND)).isEqualTo(3);
        assertThat(budget.exhausted(2 * SECOND)).isFalse();
        assertThat(budget.record(3 * SECOND)).isEqualTo(4);
        assertThat(budget.exhausted(3 * SECOND)).isTrue();
    }

    @Test
    void exitsOlderThanTheWindowNoLongerCount() {
        CrashBudget budget = new CrashBudget(2, 60 * SECOND);
        budget.record(0);
        budget.record(10 * SECOND);
        assertThat(budget.record(60 * SECOND)).isEqualTo(2); // the one at 0 fell out exactly at 60 s
        assertThat(budget.recent(200 * SECOND)).isZero();
    }

    @Test
    void resetForgetsAndLimitMustBePositive() {
        CrashBudget budget = new CrashBudget(1, SECOND);
        budget.record(0);
        budget.record(1);
        budget.reset();
        assertThat(budget.exhausted(2)).isFalse();
        assertThatThrownBy(() -> new CrashBudget(0, SECOND)).hasMessageContaining("at least 1");
    }
}
