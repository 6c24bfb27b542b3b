package dev.herd.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herd.command.ClusterStatus;
import dev.herd.command.WorkerState;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The dashboard's samples: rates from one sample to the next of the same pid, a ring of 15 minutes. */
class SamplesTest {
    private static ClusterStatus cluster(ClusterStatus.WorkerInfo... workers) {
        return new ClusterStatus(1, 8080, 1, null, workers.length, List.of(workers));
    }

    private static ClusterStatus.WorkerInfo worker(int slot, long pid, long rss, double cpuSeconds, long requests) {
        return new ClusterStatus.WorkerInfo(slot, pid, 1, WorkerState.READY, false, 1000, null, 0, rss, cpuSeconds, 0,
                requests, 0, null);
    }

    @Test
    void ratesComeFromTheLastSampleOfTheSamePid() {
        AtomicReference<ClusterStatus> now = new AtomicReference<>(cluster(worker(0, 10, 100, 1.0, 50)));
        Samples samples = Samples.manual(now::get);
        samples.take(10_000);
        now.set(cluster(worker(0, 10, 200, 1.5, 550), worker(1, 11, 300, 0.2, 0)));
        samples.take(15_000);
        List<Samples.Sample> taken = samples.answer().samples();
        assertThat(taken.get(0).workers().getFirst().cpu()).isEqualTo(-1); // no earlier sample: not known
        Samples.Sample second = taken.get(1);
        assertThat(second.workers().get(0)).isEqualTo(new Samples.WorkerSample(0, 10, 200, 10.0, 100.0));
        assertThat(second.workers().get(1).rps()).isEqualTo(-1); // a new pid: no rate yet
        assertThat(second.rss()).isEqualTo(500);
        assertThat(second.cpu()).isEqualTo(10.0);
        assertThat(second.rps()).isEqualTo(100.0);
    }

    @Test
    void theRingKeepsFifteenMinutes() {
        Samples samples = Samples.manual(() -> cluster(worker(0, 10, 1, 0, 0)));
        for (int i = 0; i < Samples.KEEP + 20; i++) {
            samples.take(i * Samples.INTERVAL_MILLIS);
        }
        List<Samples.Sample> kept = samples.answer().samples();
        assertThat(kept).hasSize(Samples.KEEP).hasSize(180);
        assertThat(kept.getFirst().time()).isEqualTo(20 * Samples.INTERVAL_MILLIS);
    }

    @Test
    void aPageThatHasTheEarlierSamplesGetsOnlyTheLaterOnes() {
        Samples samples = Samples.manual(() -> cluster(worker(0, 10, 1, 0, 0)));
        for (int i = 1; i <= 4; i++) {
            samples.take(i * 5_000L);
        }
        assertThat(samples.answer(10_000).samples()).extracting(Samples.Sample::time).containsExactly(15_000L, 20_000L);
        assertThat(samples.answer(20_000).samples()).isEmpty();
        assertThat(samples.answer(-1).samples()).hasSize(4);
    }

    @Test
    void theHandWrittenJsonIsWhatTheControlJsonWrites() {
        AtomicReference<ClusterStatus> now = new AtomicReference<>(cluster(worker(0, 10, 123_456_789L, 1.0, 50)));
        Samples samples = Samples.manual(now::get);
        assertThat(Samples.json(samples.answer())).isEqualTo(ControlJson.write(samples.answer())); // none yet
        samples.take(1_700_000_000_000L);
        now.set(cluster(worker(0, 10, 5_000_000_000L, 4.25, 12_345_678), worker(1, 11, 0, 0, 0)));
        samples.take(1_700_000_003_000L);
        now.set(cluster());
        samples.take(1_700_000_004_000L);
        Samples.Answer answer = samples.answer();
        assertThat(answer.samples()).hasSize(3);
        assertThat(Samples.json(answer)).isEqualTo(ControlJson.write(answer)).contains("\"cpu\":-1.0", "\"workers\":[]");
    }

    @Test
    void theWatchersHearEverySixthRoundEvenWhenASampleFailed() {
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean failing = new java.util.concurrent.atomic.AtomicBoolean();
        Samples samples = Samples.manual(() -> {
            if (failing.get()) {
                throw new IllegalStateException("the loop is stopping");
            }
            return cluster(worker(0, 10, 1, 0, 0));
        });
        Runnable watcher = calls::incrementAndGet;
        samples.watch(watcher);
        for (int round = 1; round <= 11; round++) {
            failing.set(round == 6);
            samples.round(round, round * 5_000L);
        }
        assertThat(calls).hasValue(1);
        assertThat(samples.answer().samples()).hasSize(10); // round 6's sample was skipped
        samples.round(12, 60_000);
        assertThat(calls).hasValue(2);
        samples.unwatch(watcher);
        samples.round(18, 90_000);
        assertThat(calls).hasValue(2);
    }
}
