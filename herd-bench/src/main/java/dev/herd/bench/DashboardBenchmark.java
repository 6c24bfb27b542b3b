package dev.herd.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * What the dashboard costs the master: one master with 2 demo workers, first left alone for the measured time, then
 * with the dashboard open (headless Chromium, signed in, live: its event stream, a followed log, samples and ECV every
 * 5 s, a re-render every second) for as long. Compared: the master's CPU time per minute in each period and its
 * resident memory at the end of each (its own /proc entries, so other processes on the machine do not count).
 * The target: no more than 5% above idle.
 */
public final class DashboardBenchmark {
    private static final String USAGE = """
            herd-bench/bin/dashboard-bench [--minutes N] [--write FILE] [--smoke]
              --minutes N   each period's length (default 10)
              --write FILE  append the result, with the command that made it, to FILE (e.g. docs/benchmarks.md)
              --smoke       1 minute each
            """;
    private static final Duration SETTLE = Duration.ofSeconds(20);

    private DashboardBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args, USAGE, Set.of("--minutes", "--write"));
        int minutes = a.flags().contains("--smoke") ? 1 : Integer.parseInt(a.values().getOrDefault("--minutes", "10"));
        Path root = Path.of("").toAbsolutePath();
        Path work = Files.createTempDirectory("herd-dashboard-bench-");
        Duration period = Duration.ofMinutes(minutes);
        Instant began = Instant.now();
        try (HerdTarget herd = new HerdTarget(root, work, 2, Duration.ofSeconds(60))) {
            herd.start();
            long pid = herd.masterPid();
            Thread.sleep(SETTLE.toMillis()); // past the master's start-up trim (6 s after ready)
            Period idle = measure(pid, period, "idle");
            String api = Files.readString(work.resolve("state/api.url")).strip();
            String key = Files.readString(work.resolve("state/access.key")).strip();
            Files.createDirectories(work.resolve("chromium"));
            Period open;
            try (HeadlessChromium browser = HeadlessChromium.start(work.resolve("chromium"))) {
                browser.navigate(api + "/ui");
                awaitPage(browser, "document.readyState === 'complete'");
                browser.evaluate("sessionStorage.setItem('herd.key', " + HeadlessChromium.json(key) + "); location.reload()");
                awaitPage(browser, "document.querySelectorAll('#workers tbody tr').length >= 2");
                Thread.sleep(SETTLE.toMillis());
                open = measure(pid, period, "dashboard open");
                awaitPage(browser, "document.querySelectorAll('#plot-rss canvas').length > 0");
            }
            report(idle, open, minutes, began, a.values().get("--write"), String.join(" ", args));
        }
    }

    private record Period(String name, double cpuSecondsPerMinute, long rssKbEnd, long rssKbStart) {
    }

    private static Period measure(long pid, Duration period, String name) throws Exception {
        System.out.println("[dashboard-bench] " + name + ": " + period.toMinutes() + " min");
        ProcSample start = ProcSample.of(pid);
        Thread.sleep(period.toMillis());
        ProcSample end = ProcSample.of(pid);
        double seconds = (end.cpuTicks() - start.cpuTicks()) / 100.0; // USER_HZ
        return new Period(name, seconds / period.toSeconds() * 60, end.rssKb(), start.rssKb());
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

    private static void report(Period idle, Period open, int minutes, Instant began, String write, String args)
            throws Exception {
        double cpuRatio = idle.cpuSecondsPerMinute() == 0 ? Double.NaN : open.cpuSecondsPerMinute() / idle.cpuSecondsPerMinute();
        double rssRatio = (double) open.rssKbEnd() / idle.rssKbEnd();
        String table = String.format("""
                | master, %d min each | CPU s per minute | RSS at the start | RSS at the end |
                |---|---:|---:|---:|
                | idle | %.3f | %.1f MiB | %.1f MiB |
                | dashboard open | %.3f | %.1f MiB | %.1f MiB |
                | open / idle | %.2f | | %.3f |
                """, minutes, idle.cpuSecondsPerMinute(), idle.rssKbStart() / 1024.0, idle.rssKbEnd() / 1024.0,
                open.cpuSecondsPerMinute(), open.rssKbStart() / 1024.0, open.rssKbEnd() / 1024.0, cpuRatio, rssRatio);
        System.out.print(table);
        if (write != null) {
            String section = "\n## Dashboard: the master's cost with it open\n\n`herd-bench/bin/dashboard-bench"
                    + (args.isEmpty() ? "" : " " + args) + "` (" + began + " to " + Instant.now() + "): one master, 2"
                    + " demo workers, no load; the dashboard in headless Chromium, signed in and live. The master's own"
                    + " CPU time and VmRSS (/proc), first idle, then with the page open.\n\n" + table;
            Files.writeString(Path.of(write), section, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }
}
