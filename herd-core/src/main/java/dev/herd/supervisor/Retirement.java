package dev.herd.supervisor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Workers leaving their slot (replaced by a rollout, shut down, scaled away): they stop serving at once, are told
 * to drain after the listeners' retire grace, and are SIGKILLed at the drain timeout.
 */
final class Retirement {
    private static final Logger log = LoggerFactory.getLogger(Retirement.class);

    private final LoopContext loop;
    private final Pool pool;

    Retirement(LoopContext loop, Pool pool) {
        this.loop = loop;
        this.pool = pool;
    }

    /**
     * The worker no longer counts as serving now, and is told to drain after the listeners' retire grace
     * (handshakes begun before the steering change must still land on it).
     */
    void retire(WorkerProcess worker, Duration drainTimeout) {
        worker.retire();
        long grace = loop.listeners().retireGrace().toNanos();
        if (grace == 0) {
            drain(worker, drainTimeout);
        } else {
            loop.after(grace, () -> drain(worker, drainTimeout));
        }
    }

    /**
     * The drain message and SIGTERM now, SIGKILL at the drain timeout; a hung worker, which cannot drain, SIGKILL
     * now. Nothing for one already told or gone.
     */
    private void drain(WorkerProcess worker, Duration drainTimeout) {
        if (!pool.isLive(worker)) {
            return;
        }
        if (worker.hung()) {
            worker.killInsteadOfDrain();
            return;
        }
        if (!worker.drain()) {
            return;
        }
        loop.after(drainTimeout.toNanos(), () -> {
            if (pool.isLive(worker)) {
                log.warn("event=worker.drain_timeout slot={} pid={} timeout_ms={}", worker.slot(), worker.pid(),
                        drainTimeout.toMillis());
                worker.forceKill();
            }
        });
    }

    /** SIGUSR1 and {@code kill-retired}: every retired worker still draining is SIGKILLed now. */
    List<Long> killRetired() {
        List<Long> killed = new ArrayList<>();
        for (WorkerProcess worker : pool.retiredAndLive()) {
            worker.forceKill();
            killed.add(worker.pid());
        }
        log.info("event=retired.killed count={} pids={}", killed.size(), killed);
        return killed;
    }
}
