package dev.herd;

import java.time.Duration;

/**
 * When a worker is recycled: replaced by a fresh one of the same deployment before it leaks or wears out further
 * (PM2's {@code max_memory_restart}, Gunicorn's {@code max_requests}, cluster-service's {@code restartOnUpTime}). A
 * recycle is the slot's zero-downtime replacement: the new worker starts beside the old one, takes the slot once
 * ready, and only then is the old one drained; recycles never run during a reload or upgrade (they wait for it), at
 * most {@code --reload-batch} slots at a time, and the crash budget is not charged for them. Zero turns a limit
 * off; {@link #NONE} has every limit off. Build one with {@link #builder()}.
 *
 * @param maxMemory      bytes of resident memory (the worker's process, and every process of its cgroup or its
 *                       children where it has them) beyond which it is recycled
 * @param maxMemoryHard  beyond this it is killed at once, without waiting for its replacement (the slot's socket
 *                       stays open meanwhile, so nothing is refused; in-flight requests of that worker are lost)
 * @param maxRequests    requests served (as the worker counts them) after which it is recycled
 * @param maxConnections connections accepted (as the worker counts them) after which it is recycled
 * @param maxJitter      each worker's request and connection limits are raised by its own random 0..maxJitter, so
 *                       workers started together do not reach them together (Gunicorn's max_requests_jitter)
 * @param maxUptime      how long a worker may run before it is recycled
 * @param uptimeJitter   each worker's uptime limit is raised by its own random 0..uptimeJitter
 * @param clusterMemoryHigh when the resident memory of all workers together (retired ones included) passes this,
 *                       memory is taken back until it is under {@code clusterMemoryLow}: retired (draining)
 *                       workers are killed first, the largest first; then the largest serving worker is recycled,
 *                       one at a time (ipcluster's cluster memory watermarks)
 * @param clusterMemoryLow where that stops; 0 takes 90% of the high mark
 * @param overloadRecycle a worker that reports itself overloaded (herd-worker's {@code overloaded()}, ipcluster's
 *                       toobusy) without a break for this long is recycled; workers get it as
 *                       {@code HERD_OVERLOAD_RECYCLE_MS}, and herd-worker then measures and reports by itself
 * @param reloadAt       a crontab schedule (minute hour day-of-month month day-of-week, the master's time zone) of
 *                       rolling reloads of the whole cluster (PM2's {@code cron_restart}); null for none
 */
public record Recycling(long maxMemory, long maxMemoryHard, long maxRequests, long maxConnections, long maxJitter,
                        Duration maxUptime, Duration uptimeJitter, long clusterMemoryHigh, long clusterMemoryLow,
                        Duration overloadRecycle, String reloadAt) {
    public static final Recycling NONE = new Recycling(0, 0, 0, 0, 0, Duration.ZERO, Duration.ZERO, 0, 0, Duration.ZERO,
            null);
    /** Below this a JVM cannot even start: a limit under it would recycle every worker as soon as it is ready. */
    public static final long MIN_MEMORY = 1024L * 1024;

    public Recycling {
        ClusterSpec.check(maxMemory == 0 || maxMemory >= MIN_MEMORY, "max-memory", Sizes.format(maxMemory),
                "must be 0 (no limit) or at least 1m");
        ClusterSpec.check(maxMemoryHard == 0 || maxMemoryHard >= MIN_MEMORY, "max-memory-hard", Sizes.format(maxMemoryHard),
                "must be 0 (no limit) or at least 1m");
        ClusterSpec.check(maxMemory == 0 || maxMemoryHard == 0 || maxMemoryHard > maxMemory, "max-memory-hard",
                Sizes.format(maxMemoryHard), "must be above --max-memory (" + Sizes.format(maxMemory)
                        + "): the soft limit recycles first, the hard one kills");
        ClusterSpec.check(maxRequests >= 0, "max-requests", maxRequests, "must be 0 (no limit) or more");
        ClusterSpec.check(maxConnections >= 0, "max-connections", maxConnections, "must be 0 (no limit) or more");
        ClusterSpec.check(maxJitter >= 0, "max-jitter", maxJitter, "must be 0 or more");
        ClusterSpec.check(maxJitter == 0 || maxRequests > 0 || maxConnections > 0, "max-jitter", maxJitter,
                "only applies with --max-requests or --max-connections");
        ClusterSpec.check(maxUptime != null && !maxUptime.isNegative(), "max-uptime", maxUptime,
                "must be 0 (no limit) or a duration");
        ClusterSpec.check(maxUptime.isZero() || maxUptime.toMillis() >= 1000, "max-uptime", maxUptime,
                "must be 0 (no limit) or at least 1s");
        ClusterSpec.check(uptimeJitter != null && !uptimeJitter.isNegative(), "max-uptime-jitter", uptimeJitter,
                "must not be negative");
        ClusterSpec.check(uptimeJitter.isZero() || !maxUptime.isZero(), "max-uptime-jitter", uptimeJitter,
                "only applies with --max-uptime");
        ClusterSpec.check(clusterMemoryHigh == 0 || clusterMemoryHigh >= MIN_MEMORY, "cluster-memory-high",
                Sizes.format(clusterMemoryHigh), "must be 0 (no limit) or at least 1m");
        ClusterSpec.check(clusterMemoryLow >= 0, "cluster-memory-low", Sizes.format(clusterMemoryLow), "must not be negative");
        ClusterSpec.check(clusterMemoryLow == 0 || clusterMemoryHigh > 0, "cluster-memory-low", Sizes.format(clusterMemoryLow),
                "only applies with --cluster-memory-high");
        ClusterSpec.check(clusterMemoryLow < clusterMemoryHigh || clusterMemoryHigh == 0, "cluster-memory-low",
                Sizes.format(clusterMemoryLow), "must be below --cluster-memory-high (" + Sizes.format(clusterMemoryHigh) + ")");
        ClusterSpec.check(overloadRecycle != null && (overloadRecycle.isZero() || overloadRecycle.toMillis() >= 1000),
                "overload-recycle", overloadRecycle, "must be 0 (off) or at least 1s");
        if (reloadAt != null) {
            try {
                dev.herd.cron.CronSchedule.parse(reloadAt, java.time.ZoneId.systemDefault());
            } catch (IllegalArgumentException e) {
                throw new ConfigException("reload-at: '" + reloadAt + "' " + e.getMessage());
            }
        }
        if (clusterMemoryHigh > 0 && clusterMemoryLow == 0) {
            clusterMemoryLow = clusterMemoryHigh / 10 * 9;
        }
    }

    /** Whether any limit is set (the master then looks at its workers every {@code CHECK_INTERVAL}). */
    public boolean active() {
        return maxMemory > 0 || maxMemoryHard > 0 || maxRequests > 0 || maxConnections > 0 || !maxUptime.isZero()
                || clusterMemoryHigh > 0 || !overloadRecycle.isZero();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Every limit off unless set. */
    public static final class Builder {
        private long maxMemory;
        private long maxMemoryHard;
        private long maxRequests;
        private long maxConnections;
        private long maxJitter;
        private Duration maxUptime = Duration.ZERO;
        private Duration uptimeJitter = Duration.ZERO;
        private long clusterMemoryHigh;
        private long clusterMemoryLow;
        private Duration overloadRecycle = Duration.ZERO;
        private String reloadAt;

        private Builder() {
        }

        public Builder maxMemory(long bytes) { this.maxMemory = bytes; return this; }
        public Builder maxMemoryHard(long bytes) { this.maxMemoryHard = bytes; return this; }
        public Builder maxRequests(long requests) { this.maxRequests = requests; return this; }
        public Builder maxConnections(long connections) { this.maxConnections = connections; return this; }
        public Builder maxJitter(long jitter) { this.maxJitter = jitter; return this; }
        public Builder maxUptime(Duration uptime) { this.maxUptime = uptime; return this; }
        public Builder uptimeJitter(Duration jitter) { this.uptimeJitter = jitter; return this; }
        public Builder clusterMemoryHigh(long bytes) { this.clusterMemoryHigh = bytes; return this; }
        public Builder clusterMemoryLow(long bytes) { this.clusterMemoryLow = bytes; return this; }
        public Builder overloadRecycle(Duration overloaded) { this.overloadRecycle = overloaded; return this; }
        public Builder reloadAt(String cron) { this.reloadAt = cron; return this; }

        public Recycling build() {
            return new Recycling(maxMemory, maxMemoryHard, maxRequests, maxConnections, maxJitter, maxUptime,
                    uptimeJitter, clusterMemoryHigh, clusterMemoryLow, overloadRecycle, reloadAt);
        }
    }
}
