package dev.herd.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LagMeterTest {

    @Test
    void oneHiccupDoesNotFlipItSustainedLagDoesAndItRecovers() {
        LagMeter meter = new LagMeter();
        assertThat(meter.overloaded()).isFalse();
        meter.record(150); // one late wake-up: smoothed to 50 ms
        assertThat(meter.overloaded()).isFalse();
        assertThat(meter.lag()).isEqualTo(Duration.ofMillis(50));
        meter.record(150);
        meter.record(150); // sustained: 83 ms, over 70
        assertThat(meter.overloaded()).isTrue();
        for (int i = 0; i < 5; i++) {
            meter.record(0);
        }
        assertThat(meter.overloaded()).isFalse();
    }

    @Test
    void eachFlipOfTheOverloadStateIsToldOnce() {
        LagMeter meter = new LagMeter();
        java.util.List<Boolean> told = new java.util.ArrayList<>();
        meter.onChange(told::add);
        meter.record(150);
        meter.record(150);
        meter.record(150); // over
        meter.record(150);
        for (int i = 0; i < 5; i++) {
            meter.record(0); // back under
        }
        assertThat(told).containsExactly(true, false);
    }

    @Test
    void theThresholdCanBeSetButMustBePositive() {
        LagMeter meter = new LagMeter();
        meter.threshold(Duration.ofMillis(10));
        meter.record(60); // 20 ms
        assertThat(meter.overloaded()).isTrue();
        assertThatThrownBy(() -> meter.threshold(Duration.ZERO)).hasMessageContaining("must be positive");
    }
}
