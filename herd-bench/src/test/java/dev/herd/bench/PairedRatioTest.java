package dev.herd.bench;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PairedRatioTest {

    @Test
    void geometricMeanOfPerRoundRatiosWithStudentsIntervalOnTheLogs() {
        // ratios 1.2, 1/1.2, 1: log ratios l, -l, 0 with l = ln 1.2: mean 0, sd l, t(2) = 4.303
        PairedRatio r = PairedRatio.of(List.of(120.0, 200.0, 50.0), List.of(100.0, 240.0, 50.0));
        double half = 4.303 * Math.log(1.2) / Math.sqrt(3);
        assertThat(r.rounds()).isEqualTo(3);
        assertThat(r.mean()).isCloseTo(1.0, within(1e-12));
        assertThat(r.low()).isCloseTo(Math.exp(-half), within(1e-9));
        assertThat(r.high()).isCloseTo(Math.exp(half), within(1e-9));
        assertThat(r.min()).isCloseTo(1 / 1.2, within(1e-12));
        assertThat(r.max()).isCloseTo(1.2, within(1e-12));
        assertThat(r.describe()).isEqualTo("1.00 (0.64–1.57)");
    }

    @Test
    void swappingTheVariantsInvertsTheRatioAndItsInterval() {
        List<Double> a = List.of(110.0, 95.0, 130.0, 101.0);
        List<Double> b = List.of(100.0, 100.0, 100.0, 100.0);
        PairedRatio ab = PairedRatio.of(a, b);
        PairedRatio ba = PairedRatio.of(b, a);
        assertThat(ab.mean() * ba.mean()).isCloseTo(1.0, within(1e-12));
        assertThat(ab.low() * ba.high()).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void pairingCancelsWhatMovesBothRunsOfARound() {
        // the machine doubles in speed from round to round; the variant is always 5% faster than the reference
        PairedRatio r = PairedRatio.of(List.of(105.0, 210.0, 420.0, 840.0), List.of(100.0, 200.0, 400.0, 800.0));
        assertThat(r.mean()).isCloseTo(1.05, within(1e-12));
        assertThat(r.low()).isCloseTo(1.05, within(1e-9));
        assertThat(r.high()).isCloseTo(1.05, within(1e-9));
    }

    @Test
    void roundsWhereEitherSideWasNotMeasuredAreLeftOut() {
        PairedRatio r = PairedRatio.of(Arrays.asList(100.0, null, 120.0), Arrays.asList(100.0, 90.0, null));
        assertThat(r.rounds()).isEqualTo(1);
        assertThat(r.mean()).isEqualTo(1.0);
        assertThat(r.low()).isNaN();
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
