package dev.herd.supervisor;

import java.util.List;

/** A snapshot of a running cluster, taken on the supervisor thread. */
public record ClusterStatus(long masterPid, int port, int generation, String rollout, List<WorkerInfo> workers) {

    /**
     * One worker process. {@code retired} workers are draining after being replaced; {@code state} is the
     * lifecycle state, or {@code failed} for a slot given up on (then pid is 0).
     */
    public record WorkerInfo(int slot, long pid, int generation, String state, boolean retired, long uptimeMillis,
                             String status) {
    }
}
