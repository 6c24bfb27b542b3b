package dev.herd.bench;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PairedRatioTest {

    @Test
    void meanOfPerRoundRatiosWithStudentsInterval() {
        // ratios 1.1, 0.9, 1.0: mean 1.0, sd 0.1, t(2) = 4.303, half width 4.303 * 0.1 / sqrt(3)
        PairedRatio r = PairedRatio.of(List.of(110.0, 180.0, 50.0), List.of(100.0, 200.0, 50.0));
        assertThat(r.rounds()).isEqualTo(3);
        assertThat(r.mean()).isCloseTo(1.0, within(1e-12));
        assertThat(r.halfWidth()).isCloseTo(4.303 * 0.1 / Math.sqrt(3), within(1e-9));
        assertThat(r.min()).isCloseTo(0.9, within(1e-12));
        assertThat(r.max()).isCloseTo(1.1, within(1e-12));
        assertThat(r.describe()).isEqualTo("1.00 (0.75–1.25)");
    }

    @Test
    void pairingCancelsWhatMovesBothRunsOfARound() {
        // the machine doubles in speed from round to round; the variant is always 5% faster than the reference
        PairedRatio r = PairedRatio.of(List.of(105.0, 210.0, 420.0, 840.0), List.of(100.0, 200.0, 400.0, 800.0));
        assertThat(r.mean()).isCloseTo(1.05, within(1e-12));
        assertThat(r.halfWidth()).isCloseTo(0.0, within(1e-12));
    }

    @Test
    void roundsWhereEitherSideWasNotMeasuredAreLeftOut() {
        PairedRatio r = PairedRatio.of(Arrays.asList(100.0, null, 120.0), Arrays.asList(100.0, 90.0, null));
        assertThat(r.rounds()).isEqualTo(1);
        assertThat(r.mean()).isEqualTo(1.0);
        assertThat(r.halfWidth()).isNaN();
        assertThat(r.describe()).isEqualTo("1.00");
        assertThat(PairedRatio.of(Arrays.asList((Double) null), Arrays.asList(1.0)).describe()).isEqualTo("–");
    }

    @Test
    void tQuantilesFallBackToTheNormalOnesForManyRounds() {
        assertThat(PairedRatio.t975(1)).isEqualTo(12.706);
        assertThat(PairedRatio.t975(30)).isEqualTo(2.042);
        assertThat(PairedRatio.t975(31)).isEqualTo(1.96);
        assertThatThrownBy(() -> PairedRatio.t975(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PairedRatio.of(List.of(1.0), List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
