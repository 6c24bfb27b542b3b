package dev.herd.command;

import java.util.List;

/**
 * A snapshot of a running cluster, taken on the supervisor thread.
 *
 * @param slots the number of slots now (it changes with {@code scale})
 */
public record ClusterStatus(long masterPid, int port, int generation, String rollout, int slots, List<WorkerInfo> workers) {

    /**
     * One worker process. {@code retired} workers are draining after being replaced; {@code state} is the
     * lifecycle state, or {@code failed} for a slot given up on (then pid is 0).
     *
     * @param restarts   how often the slot's worker was restarted after a crash since the master started
     * @param rssBytes   resident memory (VmRSS), 0 when unknown
     * @param cpuSeconds user plus system CPU time used so far, 0 when unknown
     * @param connections connections served, as the worker last reported (0 when it does not report)
     * @param requests    requests served, likewise
     * @param overloadedMillis for how long the worker has been telling the master it is overloaded (herd-worker's
     *                    lag, measured under {@code --overload-recycle}); 0 while it does not
     * @param lastFailure the slot's last unexpected exit while no worker of it has been ready since (null otherwise;
     *                    never on a retired worker)
     */
    public record WorkerInfo(int slot, long pid, int generation, WorkerState state, boolean retired, long uptimeMillis,
                             String status, int restarts, long rssBytes, double cpuSeconds, long connections,
                             long requests, long overloadedMillis, LastFailure lastFailure) {
    }

    /**
     * How a slot's worker last failed.
     *
     * @param pid          the worker's pid (0 when it could not even be spawned)
     * @param exit         {@code exit code 1}, {@code signal 9 (KILL)}, or why the spawn failed
     * @param reason       {@code crash} or {@code start-timeout}
     * @param wasReady     whether that worker had become ready (false: a failed start)
     * @param failedStarts failed starts in a row so far
     * @param lastOutput   a failed start's last lines of output (at most 5 lines, 2 KiB), else null
     * @param gaveUp       why the slot was marked failed, or null while it is being restarted
     */
    public record LastFailure(String at, long pid, String exit, String reason, long uptimeMillis, boolean wasReady,
                              int failedStarts, String lastOutput, String gaveUp) {

        public LastFailure withGaveUp(String why) {
            return new LastFailure(at, pid, exit, reason, uptimeMillis, wasReady, failedStarts, lastOutput, why);
        }
    }
}
