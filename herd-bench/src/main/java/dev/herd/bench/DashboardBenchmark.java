package dev.herd.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the dashboard costs the master, side by side: three identical masters with 2 demo workers each, started
 * together; two are left alone (how far apart they end up is the noise of the measurement), the third has the
 * dashboard open (headless Chromium, signed in, live: its event
 * stream with the samples pushed on it, a followed log, the ECV now and then, a re-render every second) for the
 * measured time. Both are sampled every 10 s from their own /proc entries, so the machine's other load and the
 * masters' own drift with age (old generation filling until a full collection, the samples ring filling) touch
 * both alike.
 * Compared: CPU time per minute over the period, and resident memory (mean of the samples, highest, at the end).
 * The CPU time is the process's (utime + stime of /proc/PID/stat, which counts threads that have ended: the API's
 * virtual threads run on carrier threads that end after 30 s idle, and a sum over the threads alive at the end
 * would miss what they did); beside it, per thread family, the run time (schedstat) of threads alive at both ends.
 * The target: no more than 5% above idle.
 */
public final class DashboardBenchmark {
    private static final String USAGE = """
            herd-bench/bin/dashboard-bench [--minutes N] [--write FILE] [--screenshot PNG] [--smoke]
              --minutes N       how long the page stays open (default 10)
              --write FILE      append the result, with the command that made it, to FILE (e.g. docs/benchmarks.md)
              --screenshot PNG  the page at the end, 1400 px wide, its plots full of the measured minutes
              --smoke           1 minute
            """;
    private static final Duration SETTLE = Duration.ofSeconds(20);
    private static final Duration EVERY = Duration.ofSeconds(10);

    private DashboardBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args, USAGE, Set.of("--minutes", "--write", "--screenshot"));
        int minutes = a.flags().contains("--smoke") ? 1 : Integer.parseInt(a.values().getOrDefault("--minutes", "10"));
        Path root = Path.of("").toAbsolutePath();
        Path work = Files.createTempDirectory("herd-dashboard-bench-");
        Instant began = Instant.now();
        for (String name : List.of("idle", "twin", "open")) {
            Files.createDirectories(work.resolve(name));
        }
        try (HerdTarget idle = new HerdTarget(root, work.resolve("idle"), 2, Duration.ofSeconds(60));
             HerdTarget twin = new HerdTarget(root, work.resolve("twin"), 2, Duration.ofSeconds(60));
             HerdTarget open = new HerdTarget(root, work.resolve("open"), 2, Duration.ofSeconds(60))) {
            idle.start();
            twin.start();
            open.start();
            Path state = work.resolve("open/state");
            String api = Files.readString(state.resolve("api.url")).strip();
            String key = Files.readString(state.resolve("access.key")).strip();
            Files.createDirectories(work.resolve("chromium"));
            List<Period> periods;
            try (HeadlessChromium browser = HeadlessChromium.start(work.resolve("chromium"))) {
                browser.navigate(api + "/ui");
                awaitPage(browser, "document.readyState === 'complete'");
                browser.evaluate("sessionStorage.setItem('herd.key', " + HeadlessChromium.json(key) + "); location.reload()");
                awaitPage(browser, "document.querySelectorAll('#workers tbody tr').length >= 2");
                Thread.sleep(SETTLE.toMillis()); // both past the master's start-up trim (6 s after ready)
                periods = measure(List.of(new Watched("idle", idle.masterPid()), new Watched("idle twin", twin.masterPid()),
                        new Watched("dashboard open", open.masterPid())), Duration.ofMinutes(minutes));
                awaitPage(browser, "document.querySelectorAll('#plot-rss canvas').length > 0");
                String screenshot = a.values().get("--screenshot");
                if (screenshot != null) {
                    browser.screenshot(Path.of(screenshot), 1400, 1260);
                }
            }
            report(periods, minutes, began, a.values().get("--write"), String.join(" ", args));
        }
    }

    private record Watched(String name, long pid) {
    }

    /** @param families run time (ms per minute) of the threads alive at both ends, by name family */
    private record Period(String name, double cpuSecondsPerMinute, long rssKbStart, double rssKbMean, long rssKbMax,
                          long rssKbEnd, Map<String, Double> families) {
    }

    /** Samples every master every 10 s for the period; what each used. */
    private static List<Period> measure(List<Watched> masters, Duration period) throws Exception {
        System.out.println("[dashboard-bench] " + period.toMinutes() + " min, sampled every " + EVERY.toSeconds() + " s");
        List<ProcSample> first = new ArrayList<>();
        List<Map<String, Long>> firstThreads = new ArrayList<>();
        List<List<Long>> rss = new ArrayList<>();
        for (Watched m : masters) {
            firstThreads.add(ProcSample.threadRunNanos(m.pid()));
            first.add(ProcSample.of(m.pid()));
            rss.add(new ArrayList<>(List.of(first.getLast().rssKb())));
        }
        long end = System.nanoTime() + period.toNanos();
        List<ProcSample> last = first;
        while (System.nanoTime() < end) {
            Thread.sleep(Math.min(EVERY.toMillis(), Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            last = new ArrayList<>();
            for (int i = 0; i < masters.size(); i++) {
                last.add(ProcSample.of(masters.get(i).pid()));
                rss.get(i).add(last.getLast().rssKb());
            }
        }
        List<Period> periods = new ArrayList<>();
        for (int i = 0; i < masters.size(); i++) {
            // utime + stime: the kernel scales them to the exact run time (10 ms units; 2 s over 10 minutes)
            double seconds = (last.get(i).cpuTicks() - first.get(i).cpuTicks()) / (double) FootprintBenchmark.CLOCK_TICKS;
            double minutes = period.toSeconds() / 60.0;
            Map<String, Double> families = new TreeMap<>();
            Map<String, Long> before = firstThreads.get(i);
            ProcSample.threadRunNanos(masters.get(i).pid()).forEach((thread, nanos) -> {
                Long was = before.get(thread);
                if (was != null) {
                    families.merge(thread.substring(thread.indexOf(' ') + 1).replaceAll("\\d+", "N"),
                            (nanos - was) / 1e6 / minutes, Double::sum);
                }
            });
            List<Long> r = rss.get(i);
            periods.add(new Period(masters.get(i).name(), seconds / minutes, r.getFirst(),
                    r.stream().mapToLong(Long::longValue).average().orElseThrow(),
                    r.stream().mapToLong(Long::longValue).max().orElseThrow(), r.getLast(), families));
        }
        return periods;
    }

    private static void awaitPage(HeadlessChromium browser, String condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (browser.evaluate(condition).contains("\"value\":true")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the dashboard never showed: " + condition);
    }

    private static void report(List<Period> periods, int minutes, Instant began, String write, String args)
            throws Exception {
        Period idle = periods.get(0);
        Period twin = periods.get(1);
        Period open = periods.get(2);
        StringBuilder table = new StringBuilder(String.format("""
                | master, %d min side by side | CPU s per minute | RSS at the start | RSS mean | RSS highest | RSS at the end |
                |---|---:|---:|---:|---:|---:|
                """, minutes));
        for (Period p : periods) {
            table.append(String.format("| %s | %.3f | %.1f MiB | %.1f MiB | %.1f MiB | %.1f MiB |%n", p.name(),
                    p.cpuSecondsPerMinute(), p.rssKbStart() / 1024.0, p.rssKbMean() / 1024.0, p.rssKbMax() / 1024.0,
                    p.rssKbEnd() / 1024.0));
        }
        Period idles = mean("the idle two's mean", idle, twin);
        table.append(ratioRow("idle twin / idle (the noise)", twin, idle));
        table.append(ratioRow("open / the idle two's mean", open, idles));
        table.append("\nRun time of the threads alive at both ends, ms per minute (the idle two's mean / open), where"
                + " either used 1 ms or more: ");
        List<String> families = new ArrayList<>();
        java.util.SortedSet<String> all = new java.util.TreeSet<>(open.families().keySet());
        all.addAll(idles.families().keySet());
        all.forEach(family -> {
            double a = idles.families().getOrDefault(family, 0.0);
            double b = open.families().getOrDefault(family, 0.0);
            if (a >= 1 || b >= 1) {
                families.add(String.format("%s %.1f / %.1f", family, a, b));
            }
        });
        table.append(String.join(", ", families)).append(".\n");
        System.out.print(table);
        if (write != null) {
            String section = "\n## Dashboard: the master's cost with it open\n\n`herd-bench/bin/dashboard-bench"
                    + (args.isEmpty() ? "" : " " + args) + "` (" + began + " to " + Instant.now() + "): three masters"
                    + " started together, 2 demo workers each, no load; two left alone (their difference is the"
                    + " measurement's noise), the third with the dashboard open in headless Chromium, signed in and live. Each master's own CPU time (utime + stime of"
                    + " /proc/PID/stat, ended threads included) and VmRSS (/proc),"
                    + " sampled every " + EVERY.toSeconds() + " s over the same minutes.\n\n" + table;
            Files.writeString(Path.of(write), section, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    private static String ratioRow(String name, Period a, Period b) {
        return String.format("| %s | %.2f | %.3f | %.3f | %.3f | %.3f |%n", name,
                ratio(a.cpuSecondsPerMinute(), b.cpuSecondsPerMinute()), ratio(a.rssKbStart(), b.rssKbStart()),
                ratio(a.rssKbMean(), b.rssKbMean()), ratio(a.rssKbMax(), b.rssKbMax()), ratio(a.rssKbEnd(), b.rssKbEnd()));
    }

    /** Two periods' mean, thread families included (a family one of them lacks counts as 0 there). */
    private static Period mean(String name, Period a, Period b) {
        Map<String, Double> families = new TreeMap<>();
        a.families().forEach((family, ms) -> families.merge(family, ms / 2, Double::sum));
        b.families().forEach((family, ms) -> families.merge(family, ms / 2, Double::sum));
        return new Period(name, (a.cpuSecondsPerMinute() + b.cpuSecondsPerMinute()) / 2,
                (a.rssKbStart() + b.rssKbStart()) / 2, (a.rssKbMean() + b.rssKbMean()) / 2,
                (a.rssKbMax() + b.rssKbMax()) / 2, (a.rssKbEnd() + b.rssKbEnd()) / 2, families);
    }

    private static double ratio(double a, double b) {
        return b == 0 ? Double.NaN : a / b;
    }
}
