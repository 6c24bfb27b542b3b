package dev.herd.control;

import dev.herd.command.ClusterStatus;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
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
    /**
     * Every how many samples the watchers ({@link #watch}) are told new ones are there: 6, so every 30 s. The
     * dashboard's stream writes them then; its only wake-up between events, so it is kept rare.
     */
    static final int PER_PUSH = 6;

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
    private final Set<Runnable> watchers = new CopyOnWriteArraySet<>();
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
            for (long round = 1; !Thread.currentThread().isInterrupted(); round++) {
                Thread.sleep(INTERVAL_MILLIS);
                round(round, System.currentTimeMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The sampler's round {@code round} (from 1): a sample, and every {@link #PER_PUSH} rounds the watchers. */
    void round(long round, long now) {
        try {
            take(now);
        } catch (RuntimeException e) {
            // the loop is stopping or busy: this sample is skipped, the next one comes
        }
        if (round % PER_PUSH == 0) {
            watchers.forEach(Runnable::run);
        }
    }

    /**
     * {@code watcher} runs on the sampler's thread every {@link #PER_PUSH} samples (also when one of them was
     * skipped), until {@link #unwatch}; it must not block. The streams that write samples wait for it rather than
     * each on a timer of its own: the sampler is awake then anyway, and a thread it wakes runs on the carrier the
     * sampler is leaving, where a timed wake-up costs a timer thread's turn and a carrier woken from sleep.
     */
    void watch(Runnable watcher) {
        watchers.add(watcher);
    }

    void unwatch(Runnable watcher) {
        watchers.remove(watcher);
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

    /**
     * The answer's JSON, as {@link ControlJson#write} writes it, without going through the records' accessors by
     * reflection: the dashboard's stream writes this twice a minute, mostly in code still interpreted, and the
     * reflective path cost most of a push's run time (numbers only, so there is nothing to escape).
     */
    static String json(Answer answer) {
        StringBuilder json = new StringBuilder(64 + answer.samples().size() * 200);
        json.append("{\"intervalMillis\":").append(answer.intervalMillis()).append(",\"samples\":[");
        for (int i = 0; i < answer.samples().size(); i++) {
            Sample sample = answer.samples().get(i);
            json.append(i == 0 ? "" : ",").append("{\"time\":").append(sample.time())
                    .append(",\"rss\":").append(sample.rss())
                    .append(",\"cpu\":").append(sample.cpu())
                    .append(",\"rps\":").append(sample.rps())
                    .append(",\"workers\":[");
            for (int j = 0; j < sample.workers().size(); j++) {
                WorkerSample worker = sample.workers().get(j);
                json.append(j == 0 ? "" : ",").append("{\"slot\":").append(worker.slot())
                        .append(",\"pid\":").append(worker.pid())
                        .append(",\"rss\":").append(worker.rss())
                        .append(",\"cpu\":").append(worker.cpu())
                        .append(",\"rps\":").append(worker.rps()).append('}');
            }
            json.append("]}");
        }
        return json.append("]}").toString();
    }

    private static double round(double value) {
        return value < 0 ? -1 : Math.round(value * 10) / 10.0;
    }

    @Override
    public void close() {
        sampler.interrupt();
    }
}
