package dev.herd.supervisor;

import dev.herd.Event;
import dev.herd.Event.ExitReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * The end of the master: a graceful stop drains every worker (SIGKILL for stragglers at the drain timeout), a
 * hard stop kills them; the loop ends with the exit code once the last worker is reaped, or at once when every
 * slot failed.
 */
final class Shutdown {
    private static final Logger log = LoggerFactory.getLogger(Shutdown.class);

    private final LoopContext loop;
    private final Pool pool;
    private final ServingSet serving;
    private Rollouts rollouts;
    private boolean shuttingDown;
    private boolean hardStop;
    private Integer exitCode;
    private String exitWhy;
    /** When every slot failed: the last one's story, for the master's last line. */
    private String exitLastFailure;

    Shutdown(LoopContext loop, Pool pool, ServingSet serving) {
        this.loop = loop;
        this.pool = pool;
        this.serving = serving;
    }

    /** Set once, before the loop runs (the rollouts need to know whether the master is stopping, too). */
    void abortsOnBegin(Rollouts rollouts) {
        this.rollouts = rollouts;
    }

    boolean shuttingDown() {
        return shuttingDown;
    }

    boolean hardStopping() {
        return hardStop;
    }

    /** The master's exit code once the loop should end, else null. */
    Integer exitCode() {
        return exitCode;
    }

    Event.ClusterStopped stopped() {
        return new Event.ClusterStopped(loop.instant(), exitCode, exitWhy, exitLastFailure);
    }

    void begin(boolean hard, String why, Duration drainTimeout) {
        if (hard) {
            hardStop = true;
        }
        boolean first = !shuttingDown;
        shuttingDown = true;
        serving.freeze();
        if (exitWhy == null) {
            exitWhy = why;
        }
        rollouts.abort("the master is shutting down");
        loop.emit(new Event.ShutdownBegun(loop.instant(), hard, drainTimeout));
        if (first) {
            // New connections are now refused once every worker has closed its copy: a load balancer sees a
            // closed port rather than connections that queue and are never answered.
            loop.listeners().stopAccepting();
        }
        for (WorkerProcess worker : pool.workers()) {
            if (hard) {
                worker.kill(ExitReason.KILLED);
            } else {
                worker.drain(); // a retired worker in its grace period is told now too
            }
        }
        if (first && !hard) {
            loop.after(drainTimeout.toNanos(), () -> killStragglers(drainTimeout));
        }
        finishIfStopped();
    }

    private void killStragglers(Duration drainTimeout) {
        for (WorkerProcess worker : pool.workers()) {
            log.warn("event=worker.drain_timeout slot={} pid={} timeout_ms={}", worker.slot(), worker.pid(),
                    drainTimeout.toMillis());
            worker.forceKill();
        }
    }

    /** After an exit while stopping: the loop ends once the last worker is gone. */
    void finishIfStopped() {
        if (shuttingDown && pool.noWorkers()) {
            finish(hardStop ? Supervisor.EXIT_HARD_STOP : Supervisor.EXIT_OK, exitWhy);
        }
    }

    /** The cluster now belongs to another master: this one ends (exit 0) without a word to any worker. */
    void handedOver(long toPid) {
        finish(Supervisor.EXIT_OK, "handed over to the master pid " + toPid);
    }

    /** Every slot gave up: the master ends (exit 4), naming the last slot's story. */
    void everySlotFailed(String lastFailure) {
        exitLastFailure = lastFailure;
        finish(Supervisor.EXIT_ALL_SLOTS_FAILED, "every slot failed");
    }

    private void finish(int code, String why) {
        if (exitCode == null) {
            exitCode = code;
            exitWhy = why;
        }
    }
}
