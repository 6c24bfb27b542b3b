package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herd.command.ClusterStatus;
import java.util.List;
import java.util.Map;
import org.jline.utils.AttributedString;
import org.junit.jupiter.api.Test;

/** herd top's layout, without a terminal: bars, sizes, and what fits on a screen of a given size. */
class TopViewTest {

    @Test
    void aBarIsFilledToItsFractionWithTheLabelAtItsRightEnd() {
        assertThat(TopView.barText(0.5, 12, "50.0%")).isEqualTo("[|||||50.0%]");
        assertThat(TopView.barText(0, 12, "0.0%")).isEqualTo("[      0.0%]");
        assertThat(TopView.barText(1, 8, "x")).isEqualTo("[|||||x]");
    }

    @Test
    void aBarNeverOverflowsWhateverItIsGiven() {
        for (double fraction : new double[] {-1, 2.5, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThat(TopView.barText(fraction, 10, "a label longer than the bar")).hasSize(10).startsWith("[").endsWith("]");
        }
        assertThat(TopView.barText(3, 6, "")).isEqualTo("[||||]"); // CPU above one core: a full bar
    }

    @Test
    void sizesAndUptimesAreShort() {
        assertThat(TopView.bytes(52_129_792)).isEqualTo("49.7M");
        assertThat(TopView.bytes(3L << 30)).isEqualTo("3.0G");
        assertThat(TopView.bytes(900 << 10)).isEqualTo("900K");
        assertThat(TopView.uptime(24_700)).isEqualTo("24.7s");
        assertThat(TopView.uptime(185_000)).isEqualTo("3m05s");
        assertThat(TopView.uptime(7_800_000)).isEqualTo("2h10m");
        assertThat(TopView.uptime(273_600_000)).isEqualTo("3d04h");
        assertThat(TopView.uptime(0)).isEqualTo("-");
    }

    @Test
    void requestsPerSecondFitSevenColumns() {
        assertThat(TopView.perSecond(0)).isEqualTo("0.0");
        assertThat(TopView.perSecond(12.34)).isEqualTo("12.3");
        assertThat(TopView.perSecond(9876.4)).isEqualTo("9876");
        assertThat(TopView.perSecond(123_456)).isEqualTo("123.5k");
        assertThat(TopView.perSecond(9_999_999)).hasSizeLessThanOrEqualTo(7);
    }

    @Test
    void theMemoryBarsScaleIsTheLargestWorkerRoundedUpToAPowerOfTwo() {
        assertThat(TopView.memoryScale(List.of())).isEqualTo(64L << 20);
        assertThat(TopView.memoryScale(List.of(worker(0, 1, 50L << 20), worker(1, 2, 100L << 20)))).isEqualTo(128L << 20);
    }

    @Test
    void theScreenIsExactlyItsHeightNoLineIsWiderThanItAndTheWorkersAreThere() {
        ClusterStatus status = new ClusterStatus(7817, 8080, 2, null, 2, List.of(worker(0, 7840, 52L << 20), worker(1, 7841, 60L << 20)));
        TopView.Model model = new TopView.Model("herd top  /run/herd/control.sock", status, Map.of(7840L, new TopView.Rates(12.5, 1234.4)), List.of(
                "17:13:51 worker.ready slot=0 pid=7840 generation=2"), 0, List.of("listening\ton 8080"), 0, null, null);
        for (int[] size : new int[][] {{80, 24}, {120, 40}, {40, 10}}) {
            List<AttributedString> lines = TopView.render(model, size[0], size[1]);
            assertThat(lines).hasSize(size[1]);
            assertThat(lines).allSatisfy(line -> assertThat(line.columnLength()).isLessThanOrEqualTo(size[0]));
            String text = String.join("\n", lines.stream().map(AttributedString::toString).toList());
            assertThat(text).contains("master pid 7817").contains("7840").contains("7841");
        }
        String screen = String.join("\n", TopView.render(model, 120, 30).stream().map(AttributedString::toString).toList());
        assertThat(screen).startsWith("master pid 7817, port 8080, generation 2, 2 slots   herd top").contains(">0   7840").contains("REQ/S").contains(" 1234 ").contains("12.5%").contains("52.0M").contains("-- log of slot 0")
                .contains("listening on 8080").contains("worker.ready slot=0").endsWith(TopView.KEYS);
    }

    @Test
    void theSelectedSlotStaysInViewWhenTheWorkersDoNotFit() {
        List<ClusterStatus.WorkerInfo> workers = new java.util.ArrayList<>();
        for (int slot = 0; slot < 40; slot++) {
            workers.add(worker(slot, 1000 + slot, 1));
        }
        ClusterStatus status = new ClusterStatus(1, 8080, 1, null, 40, workers);
        TopView.Model model = new TopView.Model("t", status, Map.of(), List.of(), 37, List.of(), 37, null, null);
        String screen = String.join("\n", TopView.render(model, 100, 24).stream().map(AttributedString::toString).toList());
        assertThat(screen).contains(">37  1037").doesNotContain(" 0   1000 ");
    }

    @Test
    void aTinyTerminalGetsOneLineSayingSo() {
        assertThat(TopView.render(new TopView.Model("t", null, Map.of(), List.of(), -1, List.of(), -1, null, null), 10, 5))
                .extracting(AttributedString::toString).containsExactly("herd top: ");
        assertThat(TopView.render(new TopView.Model("t", null, Map.of(), List.of(), -1, List.of(), -1, null, null), 60, 5))
                .extracting(AttributedString::toString).containsExactly("herd top: the terminal is too small");
    }

    private static ClusterStatus.WorkerInfo worker(int slot, long pid, long rss) {
        return new ClusterStatus.WorkerInfo(slot, pid, 2, dev.herd.command.WorkerState.READY, false, 24_700, null, 0, rss,
                1.5, 0, 0, 0, null);
    }
}
