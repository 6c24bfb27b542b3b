package dev.herd.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** The footprint benchmark's tables: medians per configuration, every run, and the master's threads. */
record FootprintReport(List<String> configs, List<FootprintBenchmark.Sample> samples, int workers, int cpuSeconds,
                       int settleSeconds) {

    String table() {
        StringBuilder b = new StringBuilder();
        b.append("| configuration | exec → `cluster.listening` (ms) | exec → ").append(workers)
                .append(" workers ready (ms) | master CPU until listening (ms) | master CPU until ready (ms) | RSS when ready (MB) | RSS ")
                .append(settleSeconds).append(" s later (MB) | RSS ").append(settleSeconds + cpuSeconds)
                .append(" s later (MB) | Pss then (MB) | threads ").append(settleSeconds).append(" s after ready | threads ")
                .append(settleSeconds + cpuSeconds).append(" s after | CPU over ").append(cpuSeconds)
                .append(" s idle (ms) |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String c : configs) {
            List<FootprintBenchmark.Sample> of = of(c);
            if (of.isEmpty()) {
                continue;
            }
            b.append("| ").append(c.equals(FootprintBenchmark.IDLE) ? "idle JVM (exec → its first line)" : "`" + c + "`")
                    .append(" | ").append(stat(of, s -> s.listeningMs(), "%.0f"))
                    .append(" | ").append(stat(of, s -> s.readyMs(), "%.0f"))
                    .append(" | ").append(stat(of, s -> s.cpuListeningMs(), "%.0f"))
                    .append(" | ").append(stat(of, s -> s.cpuReadyMs(), "%.0f"))
                    .append(" | ").append(stat(of, s -> s.atReady() == null ? -1 : s.atReady().rssKb() / 1024.0, "%.1f"))
                    .append(" | ").append(stat(of, s -> s.idle() == null ? -1 : s.idle().rssKb() / 1024.0, "%.1f"))
                    .append(" | ").append(stat(of, s -> s.end() == null ? -1 : s.end().rssKb() / 1024.0, "%.1f"))
                    .append(" | ").append(stat(of, s -> s.end() == null ? -1 : s.end().pssKb() / 1024.0, "%.1f"))
                    .append(" | ").append(stat(of, s -> s.idle() == null ? -1 : s.idle().threads(), "%.0f"))
                    .append(" | ").append(stat(of, s -> s.end() == null ? -1 : s.end().threads(), "%.0f"))
                    .append(" | ").append(stat(of, s -> s.cpuMs(), "%.0f"))
                    .append(" |\n");
        }
        return b.toString();
    }

    /** Every run: listening / ready ms, RSS idle (anonymous + file), threads, CPU (stat; schedstat). */
    String perRun() {
        int runs = samples.stream().mapToInt(FootprintBenchmark.Sample::run).max().orElse(0);
        StringBuilder b = new StringBuilder();
        b.append("| configuration |");
        for (int r = 1; r <= runs; r++) {
            b.append(" run ").append(r).append(" |");
        }
        b.append("\n|---|");
        b.append("---|".repeat(runs));
        b.append("\n");
        for (String c : configs) {
            b.append("| `").append(c).append("` |");
            for (int r = 1; r <= runs; r++) {
                int run = r;
                b.append(' ').append(samples.stream().filter(s -> s.config().equals(c) && s.run() == run).findFirst()
                        .map(FootprintReport::cell).orElse("")).append(" |");
            }
            b.append("\n");
        }
        b.append("\nEach cell: exec → listening / exec → all ready in ms (the master's CPU time by then); RSS after the idle pause (MB, = anonymous + file-backed); ")
                .append("Pss; threads; CPU over the idle window in ms (utime + stime; the threads' schedstat run time); then RSS and threads after that window.\n");
        return b.toString();
    }

    private static String cell(FootprintBenchmark.Sample s) {
        StringBuilder b = new StringBuilder();
        b.append(s.listeningMs()).append(s.readyMs() >= 0 ? " / " + s.readyMs() : "").append(" ms (CPU ")
                .append(Math.round(s.cpuListeningMs())).append(s.cpuReadyMs() >= 0 ? " / " + Math.round(s.cpuReadyMs()) : "")
                .append(")");
        if (s.idle() != null) {
            ProcSample i = s.idle();
            b.append("; ").append(mb(i.rssKb())).append(" = ").append(mb(i.rssAnonKb())).append(" + ")
                    .append(mb(i.rssFileKb())).append(" MB; Pss ").append(mb(i.pssKb())).append("; ")
                    .append(i.threads()).append(" thr; ").append(Math.round(s.cpuMs())).append("; ")
                    .append(Math.round(s.runMs())).append(" ms");
        }
        if (s.end() != null) {
            ProcSample e = s.end();
            b.append("; then ").append(mb(e.rssKb())).append(" = ").append(mb(e.rssAnonKb())).append(" + ")
                    .append(mb(e.rssFileKb())).append(" MB, ").append(e.threads()).append(" thr");
        }
        if (!s.ok()) {
            b.append("; **failed**");
        }
        return b.toString();
    }

    /** Each configuration's thread names after the pause, from its last run that got that far. */
    String threads() {
        StringBuilder b = new StringBuilder();
        b.append("| configuration | threads | names |\n|---|---:|---|\n");
        for (String c : configs) {
            of(c).stream().filter(s -> s.idle() != null).reduce((first, second) -> second).ifPresent(s ->
                    b.append("| `").append(c).append("` | ").append(s.idle().threads()).append(" | ")
                            .append(s.idle().describeThreads()).append(" |\n"));
        }
        return b.toString();
    }

    List<String> problems() {
        List<String> out = new ArrayList<>();
        for (FootprintBenchmark.Sample s : samples) {
            if (!s.ok()) {
                out.add(s.config() + " run " + s.run() + ": " + s.error());
            }
        }
        return out;
    }

    private List<FootprintBenchmark.Sample> of(String config) {
        return samples.stream().filter(s -> s.config().equals(config)).toList();
    }

    /** {@code median (min–max)} of the non-negative values, {@code –} when there is none. */
    static String stat(List<FootprintBenchmark.Sample> of, ToDoubleFunction<FootprintBenchmark.Sample> value, String format) {
        double[] v = of.stream().mapToDouble(value).filter(x -> x >= 0).sorted().toArray();
        if (v.length == 0) {
            return "–";
        }
        String median = String.format(Locale.ROOT, format, median(v));
        if (v.length == 1) {
            return median;
        }
        return median + " (" + String.format(Locale.ROOT, format, v[0]) + "–"
                + String.format(Locale.ROOT, format, v[v.length - 1]) + ")";
    }

    /** The median of sorted values (the mean of the middle two for an even count). */
    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static String mb(long kb) {
        return kb < 0 ? "?" : String.format(Locale.ROOT, "%.1f", kb / 1024.0);
    }
}
