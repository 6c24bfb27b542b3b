package dev.herd.supervisor;

import dev.herd.cron.CronSchedule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * {@code --reload-at CRON}: a rolling reload of the whole cluster at each time of the schedule, exactly as
 * {@code herd reload} (queued once when another rollout runs). Times come from the loop's wall clock, so a clock
 * change moves the next one; the wait itself is on the loop's timers.
 */
final class ScheduledReloads {
    private static final Logger log = LoggerFactory.getLogger(ScheduledReloads.class);

    private final LoopContext loop;
    private final Rollouts rollouts;
    private final BooleanSupplier stopping;
    private final CronSchedule schedule;

    ScheduledReloads(LoopContext loop, Rollouts rollouts, BooleanSupplier stopping) {
        this.loop = loop;
        this.rollouts = rollouts;
        this.stopping = stopping;
        String cron = loop.spec().recycling().reloadAt();
        this.schedule = cron == null ? null : CronSchedule.parse(cron, ZoneId.systemDefault());
    }

    void start() {
        if (schedule != null) {
            scheduleAfter(loop.instant());
        }
    }

    private void scheduleAfter(Instant after) {
        schedule.next(after).ifPresentOrElse(due -> {
            log.info("event=reload.scheduled cron=\"{}\" next={}", schedule, due);
            long wait = Math.max(0, Duration.between(loop.instant(), due).toNanos());
            loop.after(wait, () -> fire(due));
        }, () -> log.warn("event=reload.schedule_empty cron=\"{}\" note=\"no time of the schedule comes\"", schedule));
    }

    private void fire(Instant due) {
        if (stopping.getAsBoolean()) {
            return;
        }
        if (loop.instant().isBefore(due)) {
            scheduleAfter(loop.instant().minusNanos(1)); // the wall clock went back meanwhile: wait for the time again
            return;
        }
        log.info("event=reload.at cron=\"{}\" due={}", schedule, due);
        rollouts.requestReload(new CompletableFuture<>());
        scheduleAfter(due);
    }
}
