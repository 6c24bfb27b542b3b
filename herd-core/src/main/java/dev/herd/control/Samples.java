package dev.herd.control;

import dev.herd.command.ClusterStatus;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The last 15 minutes of the cluster's resource use, for the dashboard's plots ({@code samples} command): every
 * {@link #INTERVAL_MILLIS} each worker's resident memory, CPU use and requests per second, and the cluster's sums. A
 * fixed ring of {@link #KEEP} samples: at most a few hundred KiB however long the master runs. Rates come from the
 * difference to the previous sample of the same pid; a worker's first sample has none.
 */
final class Samples implements AutoCloseable {
    static final long INTERVAL_MILLIS = 5_000;
    static final int KEEP = (int) (15 * 60_000 / INTERVAL_MILLIS);

    /** One worker at one time: RSS in bytes, CPU in percent of one core, requests per second (-1: not known yet). */
    record WorkerSample(int slot, long pid, long rss, double cpu, double rps) {
    }

    /** The cluster at one time (epoch milliseconds); its sums count only workers with a rate. */
    record Sample(long time, long rss, double cpu, double rps, List<WorkerSample> workers) {
    }

    /** What the command answers. */
    record Answer(long intervalMillis, List<Sample> samples) {
    }

    private record Counters(long time, double cpuSeconds, long requests) {
    }

    private final Supplier<ClusterStatus> status;
    private final ArrayDeque<Sample> ring = new ArrayDeque<>(KEEP);
    private Map<Long, Counters> previous = Map.of();
    private final Thread sampler;

    private Samples(Supplier<ClusterStatus> status) {
        this.status = status;
        // a virtual thread: its sleeps hold no platform thread, and it samples only while the master runs
        this.sampler = Thread.ofVirtual().name("herd-samples").unstarted(this::run);
    }

    static Samples start(Supplier<ClusterStatus> status) {
        Samples samples = new Samples(status);
        samples.sampler.start();
        return samples;
    }

    /** For tests: samples taken by hand. */
    static Samples manual(Supplier<ClusterStatus> status) {
        return new Samples(status);
    }

    private void run() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Thread.sleep(INTERVAL_MILLIS);
                try {
                    take(System.currentTimeMillis());
                } catch (RuntimeException e) {
                    // the loop is stopping or busy: this sample is skipped, the next one comes
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Takes one sample now. */
    synchronized void take(long now) {
        ClusterStatus cluster = status.get();
        Map<Long, Counters> current = new HashMap<>();
        List<WorkerSample> workers = new ArrayList<>();
        long rss = 0;
        double cpu = 0;
        double rps = 0;
        for (ClusterStatus.WorkerInfo w : cluster.workers()) {
            Counters now0 = new Counters(now, w.cpuSeconds(), w.requests());
            current.put(w.pid(), now0);
            Counters before = previous.get(w.pid());
            double workerCpu = -1;
            double workerRps = -1;
            if (before != null && now > before.time()) {
                double seconds = (now - before.time()) / 1000.0;
                workerCpu = Math.max(0, (w.cpuSeconds() - before.cpuSeconds()) / seconds * 100);
                workerRps = Math.max(0, (w.requests() - before.requests()) / seconds);
                cpu += workerCpu;
                rps += workerRps;
            }
            rss += w.rssBytes();
            workers.add(new WorkerSample(w.slot(), w.pid(), w.rssBytes(), round(workerCpu), round(workerRps)));
        }
        previous = current;
        if (ring.size() == KEEP) {
            ring.removeFirst();
        }
        ring.addLast(new Sample(now, rss, round(cpu), round(rps), List.copyOf(workers)));
    }

    synchronized Answer answer() {
        return answer(-1);
    }

    /** The samples taken after {@code after} (epoch milliseconds): a page that has the rest asks only for these. */
    synchronized Answer answer(long after) {
        return new Answer(INTERVAL_MILLIS, ring.stream().filter(s -> s.time() > after).toList());
    }

    private static double round(double value) {
        return value < 0 ? -1 : Math.round(value * 10) / 10.0;
    }

    @Override
    public void close() {
        sampler.interrupt();
    }
}
