package dev.herd.control;

import dev.herd.Event;
import dev.herd.EventListener;
import dev.herd.command.ClusterStatus;

import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET /metrics} in the Prometheus text format (version 0.0.4): per worker its memory, CPU, uptime,
 * generation and state (from the same snapshot {@code herd workers} shows), per slot its restarts, how long
 * reloads took, why workers exited, and the API's requests. Counts what it needs from the events it hears.
 */
final class Metrics implements EventListener {
    /** Upper bounds, in seconds, of the reload duration histogram's buckets. */
    static final double[] RELOAD_BUCKETS = {0.5, 1, 2, 5, 10, 30, 60, 120, 300};

    private final Instant startedAt;
    private final ApiStats api;
    private final Map<String, Histogram> reloads = new TreeMap<>();
    private final Map<String, Long> exits = new TreeMap<>();
    private final Map<String, Long> recycles = new TreeMap<>();

    Metrics(Instant startedAt, ApiStats api) {
        this.startedAt = startedAt;
        this.api = api;
    }

    private static final class Histogram {
        final long[] buckets = new long[RELOAD_BUCKETS.length];
        long count;
        double sum;

        void observe(double seconds) {
            for (int i = 0; i < RELOAD_BUCKETS.length; i++) {
                if (seconds <= RELOAD_BUCKETS[i]) {
                    buckets[i]++;
                }
            }
            count++;
            sum += seconds;
        }
    }

    @Override
    public synchronized void onEvent(Event event) {
        switch (event) {
            case Event.ReloadDone done -> reloads.computeIfAbsent(done.kind() + "\u0000ok", k -> new Histogram())
                    .observe(done.took().toNanos() / 1e9);
            case Event.ReloadFailed failed -> reloads.computeIfAbsent(failed.kind() + "\u0000failed", k -> new Histogram())
                    .observe(failed.took().toNanos() / 1e9);
            case Event.WorkerExited exited -> exits.merge(exited.reason().label(), 1L, Long::sum);
            case Event.WorkerRecycle recycle -> recycles.merge(recycle.reason(), 1L, Long::sum);
            default -> { }
        }
    }

    synchronized String render(ClusterStatus status) {
        StringBuilder out = new StringBuilder(4096);
        header(out, "herd_master_start_time_seconds", "gauge", "When the master started, in seconds since the epoch.");
        out.append("herd_master_start_time_seconds ").append(startedAt.getEpochSecond()).append('\n');
        header(out, "herd_slots", "gauge", "Configured number of slots (workers).");
        out.append("herd_slots ").append(status.slots()).append('\n');
        header(out, "herd_generation", "gauge", "The current generation (it grows with every reload or upgrade).");
        out.append("herd_generation ").append(status.generation()).append('\n');

        header(out, "herd_worker_info", "gauge", "One series per worker process, 1, labelled with its generation, state and whether it is retired.");
        for (ClusterStatus.WorkerInfo w : status.workers()) {
            out.append("herd_worker_info{").append(workerLabels(w)).append(",generation=\"").append(w.generation())
                    .append("\",state=\"").append(w.state().label()).append("\",retired=\"").append(w.retired()).append("\"} 1\n");
        }
        workerGauge(out, status, "herd_worker_generation", "gauge", "The generation the worker runs.", w -> w.generation());
        workerGauge(out, status, "herd_worker_resident_memory_bytes", "gauge", "Resident memory (VmRSS) of the worker.", w -> w.rssBytes());
        workerGauge(out, status, "herd_worker_cpu_seconds_total", "counter", "User and system CPU time the worker used.", w -> w.cpuSeconds());
        workerGauge(out, status, "herd_worker_uptime_seconds", "gauge", "Seconds since the worker was started.", w -> w.uptimeMillis() / 1000.0);
        workerGauge(out, status, "herd_worker_connections_total", "counter", "Connections the worker reports it served (0 if it does not report).", w -> w.connections());
        workerGauge(out, status, "herd_worker_requests_total", "counter", "Requests the worker reports it served (0 if it does not report).", w -> w.requests());

        header(out, "herd_slot_restarts_total", "counter", "Restarts of the slot's worker after a crash or failed start.");
        Map<Integer, Integer> restarts = new TreeMap<>();
        status.workers().forEach(w -> restarts.merge(w.slot(), w.restarts(), Math::max));
        restarts.forEach((slot, count) -> out.append("herd_slot_restarts_total{slot=\"").append(slot).append("\"} ")
                .append(count).append('\n'));

        header(out, "herd_worker_exits_total", "counter", "Worker processes that ended, by reason (crash, start-timeout, stopped, killed, recycled).");
        exits.forEach((reason, count) -> out.append("herd_worker_exits_total{reason=\"").append(reason).append("\"} ")
                .append(count).append('\n'));
        header(out, "herd_worker_recycles_total", "counter", "Workers recycled past a limit, by reason (memory, memory_hard, requests, connections, uptime, cluster_memory, overload).");
        recycles.forEach((reason, count) -> out.append("herd_worker_recycles_total{reason=\"").append(reason).append("\"} ")
                .append(count).append('\n'));

        header(out, "herd_reload_duration_seconds", "histogram", "How long reloads, upgrades and rollbacks took, by kind and outcome.");
        reloads.forEach((key, histogram) -> {
            String[] parts = key.split("\u0000");
            String labels = "kind=\"" + parts[0] + "\",outcome=\"" + parts[1] + "\"";
            for (int i = 0; i < RELOAD_BUCKETS.length; i++) {
                out.append("herd_reload_duration_seconds_bucket{").append(labels).append(",le=\"")
                        .append(number(RELOAD_BUCKETS[i])).append("\"} ").append(histogram.buckets[i]).append('\n');
            }
            out.append("herd_reload_duration_seconds_bucket{").append(labels).append(",le=\"+Inf\"} ").append(histogram.count).append('\n');
            out.append("herd_reload_duration_seconds_sum{").append(labels).append("} ").append(number(histogram.sum)).append('\n');
            out.append("herd_reload_duration_seconds_count{").append(labels).append("} ").append(histogram.count).append('\n');
        });

        header(out, "herd_api_requests_total", "counter", "HTTP API requests answered, by route and status code.");
        api.snapshot().forEach((key, count) -> out.append("herd_api_requests_total{route=\"").append(key.route())
                .append("\",code=\"").append(key.status()).append("\"} ").append(count).append('\n'));
        return out.toString();
    }

    private static void workerGauge(StringBuilder out, ClusterStatus status, String name, String type, String help,
                                    java.util.function.ToDoubleFunction<ClusterStatus.WorkerInfo> value) {
        header(out, name, type, help);
        for (ClusterStatus.WorkerInfo w : status.workers()) {
            if (w.pid() != 0) {
                out.append(name).append('{').append(workerLabels(w)).append("} ").append(number(value.applyAsDouble(w))).append('\n');
            }
        }
    }

    private static String workerLabels(ClusterStatus.WorkerInfo w) {
        return "slot=\"" + w.slot() + "\",pid=\"" + w.pid() + "\"";
    }

    private static void header(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    /** Integers without a fraction, others as Java prints doubles (both valid Prometheus floats). */
    static String number(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return String.format(Locale.ROOT, "%s", value);
    }
}
