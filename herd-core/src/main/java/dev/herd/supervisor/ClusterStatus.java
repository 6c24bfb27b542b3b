package dev.herd.supervisor;

import java.util.List;

/** A snapshot of a running cluster, taken on the supervisor thread. */
/** @param slots the number of slots now (it changes with {@code scale}) */
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
     */
    public record WorkerInfo(int slot, long pid, int generation, String state, boolean retired, long uptimeMillis,
                             String status, int restarts, long rssBytes, double cpuSeconds, long connections,
                             long requests) {
    }
}
