package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 17, recycling: a worker past a limit is replaced through the slot's zero-downtime replacement (the new one
 * first, then the old one drains), so under keep-alive load nothing is dropped; the crash budget is not charged.
 */
class RecyclingTest {
    private static final Duration START = Duration.ofSeconds(60);

    @Test
    void aLeakingWorkerIsRecycledPastMaxMemoryUnderLoadWithNothingDropped() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--max-memory", "160m",
                "--drain-timeout", "10s", "--"));
        args.addAll(leakingDemo(40));
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            herd.awaitReady(2, START);
            Wrk.Result result = underLoadUntilRecycled(herd, dir, port, 3);
            List<LogEvent> recycles = herd.events("worker.recycle");
            System.out.println("[recycle memory] " + recycles.size() + " recycles, wrk -t2 -c32: " + result);
            assertThat(result.requests()).isPositive();
            assertThat(result.socketErrors()).as("socket errors\n" + result.output()).isZero();
            assertThat(result.non2xx()).as("non-2xx\n" + result.output()).isZero();
            List<LogEvent> forked = herd.events("worker.forked");
            for (LogEvent recycle : recycles) {
                assertThat(recycle.get("reason")).isEqualTo("memory");
                assertThat(Long.parseLong(recycle.get("value"))).isGreaterThan(160L << 20);
                assertThat(recycle.get("limit")).isEqualTo(Long.toString(160L << 20));
                // its replacement was spawned at once: the limit seen passed -> the new worker forked
                LogEvent replacement = forked.stream().filter(f -> f.get("slot").equals(recycle.get("slot"))
                        && !f.at().isBefore(recycle.at())).findFirst().orElseThrow();
                assertThat(Duration.between(recycle.at(), replacement.at())).as("spawned after " + recycle.line())
                        .isLessThan(Duration.ofSeconds(1));
            }
            assertThat(herd.events("worker.exited")).allSatisfy(e -> assertThat(e.get("reason")).isEqualTo("stopped"));
            assertThat(herd.events("worker.restart_scheduled")).as("no crash").isEmpty();
            String metrics = metrics(dir);
            assertThat(metrics).containsPattern("herd_worker_recycles_total\\{reason=\"memory\"} [3-9]");
            assertThat(metrics).contains("herd_slot_restarts_total{slot=\"0\"} 0");
        }
    }

    /** Over --max-memory-hard a worker is killed at once and its slot refilled at once; its socket stayed open. */
    @Test
    void overTheHardLimitAWorkerIsKilledAtOnceAndReplaced() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "1", "--max-memory-hard", "140m", "--"));
        args.addAll(leakingDemo(60));
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            long first = herd.awaitReady(1, START).getFirst();
            LogEvent recycle = herd.awaitEvent(e -> e.name().equals("worker.recycle"), START, "worker.recycle");
            assertThat(recycle.get("reason")).isEqualTo("memory_hard");
            assertThat(recycle.pid()).isEqualTo(first);
            LogEvent exited = herd.awaitEvent(e -> e.name().equals("worker.exited") && e.pid() == first, START, "the kill");
            assertThat(exited.get("reason")).isEqualTo("recycled");
            assertThat(exited.get("signal")).isEqualTo("KILL");
            await("a new worker").atMost(START).until(() -> herd.liveReadyPids().stream().anyMatch(p -> p != first));
            assertThat(herd.events("worker.restart_scheduled")).as("no crash backoff").isEmpty();
            assertThat(Http.get(port, "/").status()).isEqualTo(200);
        }
    }

    /**
     * ipcluster's cluster watermarks: 4 workers leaking together (the demo's 15 MiB a second each) are held under the
     * high mark for 15 s. Over it, the largest serving worker is recycled; slow requests in flight keep a recycled
     * worker draining, and while one drains it is the one killed at the next step (retired workers first); then the
     * next largest is recycled. Unchecked, the total would stay over the mark and grow on.
     */
    @Test
    void fourGrowingWorkersAreHeldUnderTheClustersHighMarkRetiredOnesKilledFirst() throws Exception {
        Path dir = Herd.newDir();
        long high = 1000L << 20; // 4 fresh demo workers take some 700 MiB
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "4", "--cluster-memory-high", "1000m",
                "--cluster-memory-low", "850m", "--drain-timeout", "60s", "--"));
        args.addAll(leakingDemo(15));
        try (Herd herd = Herd.start(dir, args); SlowRequests slow = new SlowRequests()) {
            int port = herd.awaitPort();
            herd.awaitReady(4, START);
            slow.open(port, 16, 50_000); // on every worker, most likely: what keeps a recycled one draining
            LogEvent first = herd.awaitEvent(e -> e.name().equals("cluster.memory_high"), START, "cluster.memory_high");
            LogEvent kill = herd.awaitEvent(e -> e.is("cluster.memory_high", "action", "kill-retired"), START,
                    "a retired worker killed");
            herd.awaitExited(List.of(kill.pid()), START, "the killed worker");
            // 15 s from the end of that first round on (4 JVMs starting at once grow faster than they leak): the
            // workers' total, sampled every 100 ms
            List<Long> totals = new ArrayList<>();
            long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (System.nanoTime() < end) {
                totals.add(workersResident(herd.pid()));
                Thread.sleep(100); // the sampling period, not a synchronisation
            }
            List<LogEvent> log = herd.events();
            List<LogEvent> steps = log.stream().filter(e -> e.name().equals("cluster.memory_high")).toList();
            System.out.println("[watermarks] " + steps.size() + " steps (" + steps.stream().map(e -> e.get("action")).toList()
                    + "), first at total " + first.get("total") + "; sampled totals MiB: "
                    + totals.stream().map(t -> t >> 20).toList());
            assertThat(steps.stream().filter(e -> e.get("action").equals("recycle")).count()).isGreaterThanOrEqualTo(3);
            assertThat(steps).anySatisfy(e -> assertThat(e.get("action")).isEqualTo("kill-retired"));
            // retired first: no worker is recycled for the cluster's memory while a retired one still runs. A worker
            // retires when its slot's replacement is ready (the same turn of the master's loop), until it exits.
            java.util.Map<String, Long> servingBySlot = new java.util.HashMap<>();
            java.util.Set<Long> draining = new java.util.HashSet<>();
            for (LogEvent e : log) {
                switch (e.name()) {
                    case "worker.ready" -> {
                        Long before = servingBySlot.put(e.get("slot"), e.pid());
                        if (before != null) {
                            draining.add(before);
                        }
                    }
                    case "worker.exited" -> draining.remove(e.pid());
                    case "cluster.memory_high" -> {
                        if (e.get("action").equals("recycle")) {
                            assertThat(draining).as("retired workers at " + e.line()).isEmpty();
                        } else {
                            assertThat(draining).as("killed a retired worker: " + e.line()).contains(e.pid());
                        }
                    }
                    default -> { }
                }
            }
            // held: never more over the high mark than a fresh worker starting beside a grown one (the price of
            // replacing without a gap), and under it again within 3 s each time
            assertThat(totals.stream().mapToLong(Long::longValue).max().orElseThrow()).isLessThan(high + (350L << 20));
            int overFor = 0;
            for (long total : totals) {
                overFor = total > high ? overFor + 1 : 0;
                assertThat(overFor).as("samples in a row over the high mark").isLessThanOrEqualTo(30);
            }
            assertThat(herd.events("worker.recycle")).allSatisfy(e -> assertThat(e.get("reason")).isEqualTo("cluster_memory"));
            assertThat(Http.get(port, "/").status()).isEqualTo(200);
            assertThat(herd.events("worker.restart_scheduled")).isEmpty();
        }
    }

    /**
     * Gunicorn's max_requests without its 502s: 4 workers under keep-alive load each recycled after 20,000 requests
     * (plus their own jitter of up to 2,000), one at a time and at least 1 s apart, with nothing dropped.
     */
    @Test
    void maxRequestsRecyclesStaggeredUnderLoadWithNothingDropped() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "4", "--max-requests", "20000",
                "--max-jitter", "2000", "--drain-timeout", "10s"));
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            herd.awaitReady(4, START);
            Wrk.Result result = underLoadUntilRecycled(herd, dir, port, 6);
            List<LogEvent> recycles = herd.events("worker.recycle");
            System.out.println("[recycle requests] " + recycles.size() + " recycles, wrk -t2 -c32: " + result);
            assertThat(result.socketErrors()).as("socket errors\n" + result.output()).isZero();
            assertThat(result.non2xx()).as("non-2xx\n" + result.output()).isZero();
            for (int i = 0; i < recycles.size(); i++) {
                LogEvent recycle = recycles.get(i);
                assertThat(recycle.get("reason")).isEqualTo("requests");
                long limit = Long.parseLong(recycle.get("limit"));
                assertThat(limit).isBetween(20_000L, 22_000L);
                assertThat(Long.parseLong(recycle.get("value"))).isGreaterThanOrEqualTo(limit);
                if (i > 0) {
                    // the master's 1 s spacing, read back from wall-clock timestamps (a few microseconds apart from
                    // its monotonic clock)
                    assertThat(Duration.between(recycles.get(i - 1).at(), recycle.at())).as("recycle " + i)
                            .isGreaterThanOrEqualTo(Duration.ofMillis(990));
                }
            }
            assertThat(recycles.stream().map(e -> e.get("limit")).distinct().count())
                    .as("each worker draws its own jitter").isGreaterThan(1);
        }
    }

    /**
     * ipcluster's toobusy, with a real overload: the Jetty example's worker starved of CPU under load, as a throttled
     * container would be (the test puts it in a cgroup v1 cpu group). With 5 ms of CPU per 100 ms its 50 ms timer
     * runs late, so it sheds load with 503 and Retry-After (-Dherd.jetty.shedLoad=true), which relieves it now and
     * then. With 1 ms per 250 ms shedding cannot keep up: it stays overloaded, tells the master, and after
     * --overload-recycle 2s of it without a break the master replaces it; the new worker, with the whole CPU, answers
     * 200.
     */
    @Test
    void aWorkerStarvedOfCpuShedsLoadAndIsRecycledAfterOverloadRecycle() throws Exception {
        Path cpu = Path.of("/sys/fs/cgroup/cpu");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(cpu) && Files.exists(cpu.resolve("cpu.cfs_quota_us")),
                "needs a writable cgroup v1 cpu hierarchy at " + cpu + " (root) to starve a worker of CPU");
        Path group = Files.createDirectory(cpu.resolve("herd-test-" + java.util.UUID.randomUUID()));
        try {
            Files.writeString(group.resolve("cpu.cfs_period_us"), "100000");
            Files.writeString(group.resolve("cpu.cfs_quota_us"), "5000");
            Path dir = Herd.newDir();
            List<String> jetty = new ArrayList<>(Workers.jetty());
            jetty.add(1, "-Dherd.jetty.shedLoad=true");
            List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "1", "--overload-recycle", "2s",
                    "--drain-timeout", "10s", "--"));
            args.addAll(jetty);
            try (Herd herd = Herd.start(dir, args)) {
                int port = herd.awaitPort();
                long first = herd.awaitReady(1, START).getFirst();
                // warm, as a service is by the time its container is throttled: cold, at 5% of a core, its first
                // answers took longer than the whole test (one CI run's wrk got no answer at all in 6 s)
                for (int i = 0; i < 300; i++) {
                    assertThat(Http.get(port, "/").status()).isEqualTo(200);
                }
                Files.writeString(group.resolve("cgroup.procs"), Long.toString(first)); // every thread of it
                LogEvent recycle;
                Wrk.Result result;
                try (Wrk wrk = Wrk.start(port, 1, 8, Duration.ofSeconds(120), dir)) {
                    wrk.awaitRunning();
                    Http.Response shed = await("a request shed with 503").atMost(START).ignoreExceptions()
                            .until(() -> Http.get(port, "/"), response -> response.status() == 503);
                    assertThat(shed.headers()).containsEntry("retry-after", "1");
                    // its report to the master needs CPU too: starved harder before it got out, it took 20-40 s
                    await("the master told the worker is overloaded").atMost(START)
                            .until(() -> overloadedMillis(herd) > 0);
                    Files.writeString(group.resolve("cpu.cfs_period_us"), "250000");
                    Files.writeString(group.resolve("cpu.cfs_quota_us"), "1000");
                    long cut = System.nanoTime();
                    recycle = herd.awaitEvent(e -> e.name().equals("worker.recycle"), START, "worker.recycle");
                    System.out.printf("[recycle overload] recycled %d ms after the quota was cut%n",
                            (System.nanoTime() - cut) / 1_000_000);
                    // the master has acted; the cap goes so that the old worker drains in a moment rather than in
                    // --drain-timeout, and wrk goes on until it has gone, so the answers it was writing are counted
                    Files.writeString(group.resolve("cpu.cfs_quota_us"), "-1");
                    herd.awaitExited(List.of(first), START, "the starved worker");
                    result = wrk.stop();
                }
                System.out.println("[recycle overload] " + recycle.line() + "; wrk -t1 -c8: " + result);
                assertThat(recycle.get("reason")).isEqualTo("overload");
                assertThat(recycle.pid()).isEqualTo(first);
                assertThat(Long.parseLong(recycle.get("value"))).isGreaterThanOrEqualTo(2000);
                assertThat(result.non2xx()).as("503s shed while overloaded\n" + result.output()).isPositive();
                assertThat(Http.get(port, "/").status()).isEqualTo(200);
                assertThat(herd.events("worker.restart_scheduled")).as("no crash").isEmpty();
            }
        } finally {
            // the group can go once the worker in it has exited (Herd.close killed it)
            await("the test's cpu group removed").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> {
                        Files.delete(group);
                        return true;
                    });
        }
    }

    /** The single worker's {@code overloadedMillis}, as the master's {@code workers} answer gives it. */
    private static long overloadedMillis(Herd herd) throws java.io.IOException {
        Shell.Result workers = herd.cli("exec", "workers");
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(workers.output()).path("result").path(0)
                .path("overloadedMillis").asLong();
    }

    /**
     * In proxy mode every connection passes through the master, which counts them itself: a Node app that reports
     * nothing is recycled at --max-connections, and every request is answered throughout.
     */
    @Test
    void inProxyModeTheMasterCountsTheConnectionsOfAnAppThatReportsNothing() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "1", "--mode", "proxy",
                "--max-connections", "40", "--"));
        args.addAll(ProxyModeTest.portWorker());
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            long first = herd.awaitReady(1, START).getFirst();
            for (int i = 0; i < 60; i++) {
                assertThat(Http.get(port, "/").status()).as("request " + i).isEqualTo(200); // a connection each
            }
            LogEvent recycle = herd.awaitEvent(e -> e.name().equals("worker.recycle"), START, "worker.recycle");
            assertThat(recycle.get("reason")).isEqualTo("connections");
            assertThat(recycle.pid()).isEqualTo(first);
            assertThat(Long.parseLong(recycle.get("value"))).isGreaterThanOrEqualTo(40);
            await("the new worker serves").atMost(START).until(() -> herd.liveReadyPids().stream().anyMatch(p -> p != first));
            assertThat(Http.get(port, "/").status()).isEqualTo(200);
        }
    }

    /** The resident memory of the master's children (its workers, retired ones included), from /proc/PID/statm. */
    private static long workersResident(long master) {
        return ProcessHandle.of(master).stream().flatMap(ProcessHandle::children).mapToLong(child -> {
            try {
                String[] fields = Files.readString(Path.of("/proc", Long.toString(child.pid()), "statm")).trim().split(" ");
                return Long.parseLong(fields[1]) * 4096;
            } catch (java.io.IOException | RuntimeException gone) {
                return 0; // exited between the listing and the read
            }
        }).sum();
    }

    /** Requests to {@code /slow} kept in flight, each on its own connection; closing them ends them. */
    private static final class SlowRequests implements AutoCloseable {
        private final List<java.net.Socket> sockets = new ArrayList<>();

        void open(int port, int count, int millis) throws java.io.IOException {
            for (int i = 0; i < count; i++) {
                java.net.Socket socket = new java.net.Socket("127.0.0.1", port);
                sockets.add(socket);
                socket.getOutputStream().write(("GET /slow?ms=" + millis + " HTTP/1.1\r\nHost: t\r\n\r\n")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
        }

        @Override
        public void close() {
            for (java.net.Socket socket : sockets) {
                try {
                    socket.close();
                } catch (java.io.IOException ignored) {
                    // closing anyway
                }
            }
        }
    }

    /** Runs {@code wrk -t2 -c32} until the master has recycled {@code count} workers (at most 90 s). */
    private static Wrk.Result underLoadUntilRecycled(Herd herd, Path dir, int port, int count) throws Exception {
        try (Wrk wrk = Wrk.start(port, 2, 32, Duration.ofSeconds(120), dir)) {
            wrk.awaitRunning();
            await(count + " recycles").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                    .until(() -> herd.events("worker.recycle").size() >= count);
            return wrk.stop();
        }
    }

    /** The demo worker with room to grow (a 512 MiB heap), leaking this many MiB a second. */
    private static List<String> leakingDemo(int mibPerSecond) {
        List<String> demo = new ArrayList<>(Workers.demo());
        demo.add(1, "-Xmx512m");
        demo.addAll(List.of("--leak-mb-per-s", Integer.toString(mibPerSecond)));
        return demo;
    }

    private static String metrics(Path dir) throws Exception {
        String url = Files.readString(dir.resolve("state/api.url")).trim();
        String key = Files.readString(dir.resolve("state/access.key")).trim();
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url + "/metrics"))
                    .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            return response.body();
        }
    }
}
