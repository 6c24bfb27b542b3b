package dev.herd.supervisor;

import dev.herd.Event.ExitReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Heartbeats (HERD_WATCHDOG_MS): a serving worker silent for the timeout is hung. Its slot gets a new worker the
 * way a restart does (the hung one keeps its socket until the new one is ready, so nothing is refused), and the
 * hung one is then killed, since it cannot drain. Checked a few times per timeout while any worker sends them.
 */
final class Watchdog {
    private static final Logger log = LoggerFactory.getLogger(Watchdog.class);

    private final LoopContext loop;
    private final Pool pool;
    private final Rollouts rollouts;
    private boolean scheduled;

    Watchdog(LoopContext loop, Pool pool, Rollouts rollouts) {
        this.loop = loop;
        this.pool = pool;
        this.rollouts = rollouts;
    }

    void heartbeat(WorkerProcess worker) {
        worker.heartbeat(loop.now());
        schedule();
    }

    private void schedule() {
        if (!scheduled && loop.spec().watchdogTimeout().isPositive()) {
            scheduled = true;
            loop.after(loop.spec().watchdogTimeout().toNanos() / 4, this::check);
        }
    }

    private void check() {
        scheduled = false;
        long now = loop.now();
        long timeout = loop.spec().watchdogTimeout().toNanos();
        boolean watching = false;
        for (Slot slot : pool.slots()) {
            WorkerProcess worker = slot.worker();
            if (worker == null || worker.lastHeartbeatNanos() == 0 || !worker.serving()) {
                continue;
            }
            watching = true;
            long silent = now - worker.lastHeartbeatNanos();
            if (silent < timeout || worker.hung()) {
                continue;
            }
            worker.markHung();
            log.warn("event=worker.hung slot={} pid={} silent_ms={} timeout_ms={}", slot.id(), worker.pid(),
                    Duration.ofNanos(silent).toMillis(), loop.spec().watchdogTimeout().toMillis());
            if (rollouts.busy()) {
                worker.kill(ExitReason.KILLED); // no replacement without downtime now: the crash path refills it
            } else {
                rollouts.requestRestart(slot, new CompletableFuture<>());
            }
        }
        if (watching) {
            schedule();
        }
    }
}
