package dev.herd.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What the dashboard costs the master, side by side: two identical masters with 2 demo workers each, started
 * together; one is left alone, the other has the dashboard open (headless Chromium, signed in, live: its event
 * stream, a followed log, samples every 10 s, the ECV every 15 s, a re-render every second) for the measured time.
 * Both are sampled every 10 s from their own /proc entries, so the machine's other load and the masters' own
 * drift with age (old generation filling until a full collection, the samples ring filling) touch both alike.
 * Compared: CPU time per minute over the period (the run time of the master's threads, schedstat), and resident
 * memory (mean of the samples, highest, at the end).
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
        Files.createDirectories(work.resolve("idle"));
        Files.createDirectories(work.resolve("open"));
        try (HerdTarget idle = new HerdTarget(root, work.resolve("idle"), 2, Duration.ofSeconds(60));
             HerdTarget open = new HerdTarget(root, work.resolve("open"), 2, Duration.ofSeconds(60))) {
            idle.start();
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
                periods = measure(List.of(new Watched("idle", idle.masterPid()),
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

    private record Period(String name, double cpuSecondsPerMinute, long rssKbStart, double rssKbMean, long rssKbMax,
                          long rssKbEnd) {
    }

    /** Samples every master every 10 s for the period; what each used. */
    private static List<Period> measure(List<Watched> masters, Duration period) throws Exception {
        System.out.println("[dashboard-bench] " + period.toMinutes() + " min, sampled every " + EVERY.toSeconds() + " s");
        List<ProcSample> first = new ArrayList<>();
        List<List<Long>> rss = new ArrayList<>();
        for (Watched m : masters) {
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
            // the run time of its threads in ns (schedstat): the ticks of /proc/PID/stat are 10 ms, too coarse for
            // a master that uses about 0.2 s a minute
            double seconds = (last.get(i).runNanos() - first.get(i).runNanos()) / 1e9;
            List<Long> r = rss.get(i);
            periods.add(new Period(masters.get(i).name(), seconds / period.toSeconds() * 60, r.getFirst(),
                    r.stream().mapToLong(Long::longValue).average().orElseThrow(),
                    r.stream().mapToLong(Long::longValue).max().orElseThrow(), r.getLast()));
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
        Period open = periods.get(1);
        StringBuilder table = new StringBuilder(String.format("""
                | master, %d min side by side | CPU s per minute | RSS at the start | RSS mean | RSS highest | RSS at the end |
                |---|---:|---:|---:|---:|---:|
                """, minutes));
        for (Period p : periods) {
            table.append(String.format("| %s | %.3f | %.1f MiB | %.1f MiB | %.1f MiB | %.1f MiB |%n", p.name(),
                    p.cpuSecondsPerMinute(), p.rssKbStart() / 1024.0, p.rssKbMean() / 1024.0, p.rssKbMax() / 1024.0,
                    p.rssKbEnd() / 1024.0));
        }
        table.append(String.format("| open / idle | %.2f | %.3f | %.3f | %.3f | %.3f |%n",
                ratio(open.cpuSecondsPerMinute(), idle.cpuSecondsPerMinute()),
                ratio(open.rssKbStart(), idle.rssKbStart()), ratio(open.rssKbMean(), idle.rssKbMean()),
                ratio(open.rssKbMax(), idle.rssKbMax()), ratio(open.rssKbEnd(), idle.rssKbEnd())));
        System.out.print(table);
        if (write != null) {
            String section = "\n## Dashboard: the master's cost with it open\n\n`herd-bench/bin/dashboard-bench"
                    + (args.isEmpty() ? "" : " " + args) + "` (" + began + " to " + Instant.now() + "): two masters"
                    + " started together, 2 demo workers each, no load; one left alone, the other with the dashboard"
                    + " open in headless Chromium, signed in and live. Each master's own CPU time (its threads' run time,"
                    + " schedstat) and VmRSS (/proc),"
                    + " sampled every " + EVERY.toSeconds() + " s over the same minutes.\n\n" + table;
            Files.writeString(Path.of(write), section, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    private static double ratio(double a, double b) {
        return b == 0 ? Double.NaN : a / b;
    }
}
