package dev.herd.bench;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ModesReportTest {

    private static ModesBenchmark.Options options(List<String> variants, int rounds) {
        return new ModesBenchmark.Options(5, 5, 32, 2, rounds, 1, variants, null, Path.of("."), "wrk", "haproxy",
                Path.of("epoll-proxy"), false, Pinning.NONE, List.of());
    }

    private static Wrk.Result result(double rps, double p99) {
        return new Wrk.Result((long) (rps * 5), 5, rps, 1, p99, 10, 0, 0, 0, 0, 0);
    }

    @Test
    void roundsAlternateTheirOrder() {
        List<String> v = List.of("a", "b", "c");
        assertThat(ModesBenchmark.order(v, 1)).containsExactly("a", "b", "c");
        assertThat(ModesBenchmark.order(v, 2)).containsExactly("c", "b", "a");
        assertThat(ModesBenchmark.order(v, 3)).containsExactly("a", "b", "c");
    }

    @Test
    void targetsAreJudgedOnPairedRatios() {
        List<ModesBenchmark.Run> runs = new ArrayList<>();
        double[] direct = {100, 200, 100};
        for (int round = 1; round <= 3; round++) {
            double d = direct[round - 1];
            runs.add(new ModesBenchmark.Run("direct", round, result(d, 2), null));
            runs.add(new ModesBenchmark.Run("shared", round, result(d * 0.98, 2), null));
            runs.add(new ModesBenchmark.Run("reuseport", round, result(d * 0.95, 2), null));
            runs.add(new ModesBenchmark.Run("haproxy", round, result(d * 0.6, 3), null));
            runs.add(new ModesBenchmark.Run("proxy", round, result(d * 0.6 * 1.02, 3), null));
        }
        ModesReport report = new ModesReport(options(List.of("direct", "shared", "reuseport", "proxy", "haproxy"), 3),
                runs, Map.of());
        assertThat(report.met("shared")).isEqualTo("yes");
        assertThat(report.met("reuseport")).isEqualTo("**no**");
        assertThat(report.met("proxy")).isEqualTo("yes");
        assertThat(report.met("direct")).isEmpty();
        assertThat(report.table()).contains("| Herd `--mode shared`, 1 worker | 131 | 0.98 (0.98–0.98) |  |")
                .contains("| Herd `--mode proxy`, 1 worker | 82 | 0.61 (0.61–0.61) | 1.02 (1.02–1.02) |");
        assertThat(report.perRound()).contains("| direct | 100 / 2.00 ms | 200 / 2.00 ms | 100 / 2.00 ms |");
        assertThat(report.table()).contains("| 3.00 ms | 0 / 0 | ≥ 1.00 × HAProxy | yes |");
        assertThat(report.table()).contains("| 2.00 ms | 0 / 0 | ≥ 0.97 × direct | **no** |");
        assertThat(report.problems()).isEmpty();
    }

    @Test
    void p99IsTheMedianOfTheRounds() {
        List<ModesBenchmark.Run> runs = List.of(new ModesBenchmark.Run("direct", 1, result(100, 2), null),
                new ModesBenchmark.Run("direct", 2, result(100, 400), null),
                new ModesBenchmark.Run("direct", 3, result(100, 3), null));
        ModesReport report = new ModesReport(options(List.of("direct"), 3), runs, Map.of());
        assertThat(report.table()).contains("| direct: 1 demo worker, no Herd | 100 | 1.00 |  | 3.00 ms |");
    }

    @Test
    void failuresAreListedAndLeftOutOfTheRatios() {
        List<ModesBenchmark.Run> runs = List.of(
                new ModesBenchmark.Run("proxy", 1, result(100, 2), null),
                new ModesBenchmark.Run("haproxy", 1, null, "IOException: wrk exited 1"));
        ModesReport report = new ModesReport(options(List.of("proxy", "haproxy", "nat"), 1), runs,
                Map.of("nat", "NatUnavailableException: needs root"));
        assertThat(report.met("proxy")).isEqualTo("–");
        assertThat(report.problems()).containsExactly("nat: did not start: NatUnavailableException: needs root",
                "haproxy round 1: IOException: wrk exited 1");
        assertThat(report.perRound()).contains("| haproxy | – |");
    }
}
