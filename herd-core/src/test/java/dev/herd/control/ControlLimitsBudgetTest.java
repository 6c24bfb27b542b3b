package dev.herd.control;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Each transport's cap leaves the workers' reserve of fds free, within 4 and 64. */
class ControlLimitsBudgetTest {
    @Test
    void aRoomyFdLimitGivesEachTransportSixtyFour() {
        ControlLimits limits = ControlLimits.forBudget(1024, 40, 4);
        assertThat(limits.apiConnections()).isEqualTo(64);
        assertThat(limits.localConnections()).isEqualTo(64);
        assertThat(limits.reduced()).isFalse();
    }

    @Test
    void aLowFdLimitLowersBothCapsSoTheReserveStaysFree() {
        ControlLimits limits = ControlLimits.forBudget(256, 40, 16); // reserve 32 + 128
        assertThat(limits.apiConnections() + limits.localConnections())
                .isLessThanOrEqualTo(256 - 40 - ControlLimits.reserve(16));
        assertThat(limits.apiConnections()).isEqualTo(28);
        assertThat(limits.reduced()).isTrue();
    }

    @Test
    void noFdsToSpareStillLeavesFourEach() {
        ControlLimits limits = ControlLimits.forBudget(64, 60, 8);
        assertThat(limits.apiConnections()).isEqualTo(4);
        assertThat(limits.localConnections()).isEqualTo(4);
    }
}
