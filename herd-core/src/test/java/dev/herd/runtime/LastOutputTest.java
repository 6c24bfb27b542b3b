package dev.herd.runtime;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LastOutputTest {

    private static long bytes(String... lines) {
        long total = 0;
        for (String line : lines) {
            total += line.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        return total;
    }

    @Test
    void quotesOnlyTheLinesTheWorkerWroteSinceItsSpawn() {
        List<String> tail = List.of("previous worker: started", "previous worker: crashed", "starting",
                "bind: Address already in use");
        assertThat(LastOutput.quote(tail, bytes("starting", "bind: Address already in use")))
                .isEqualTo("starting\nbind: Address already in use");
    }

    @Test
    void aWorkerThatWroteNothingHasNothingQuoted() {
        assertThat(LastOutput.quote(List.of("the previous worker's line"), 0)).isNull();
        assertThat(LastOutput.quote(List.of(), 100)).isNull();
    }

    @Test
    void anUnfinishedLastLineCountsWithoutTheNewlineItWasGiven() {
        assertThat(LastOutput.quote(List.of("old", "no newline"), "no newline".length())).isEqualTo("no newline");
    }

    @Test
    void atMostFiveLinesTheNewestKept() {
        List<String> tail = List.of("1", "2", "3", "4", "5", "6", "7");
        assertThat(LastOutput.quote(tail, 1000)).isEqualTo("3\n4\n5\n6\n7");
    }

    @Test
    void atMostTwoKibibytesWholeLinesOrTheEndOfAnOverlongLastOne() {
        String kib = "x".repeat(1000);
        assertThat(LastOutput.quote(List.of(kib + "a", kib + "b", kib + "c"), 10_000)).isEqualTo(kib + "b\n" + kib + "c");
        String huge = "é".repeat(3000) + " Address already in use";
        String quoted = LastOutput.quote(List.of(huge), 100_000);
        assertThat(quoted).startsWith("…").endsWith(" Address already in use");
        assertThat(quoted.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(LastOutput.MAX_BYTES);
        assertThat(quoted.getBytes(StandardCharsets.UTF_8).length).isGreaterThan(LastOutput.MAX_BYTES - 4);
    }
}
