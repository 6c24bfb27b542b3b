package dev.herd.supervisor;

import java.util.Map;

/**
 * What a master handing its cluster over counted, which the workers' records do not hold: each slot's restarts (the
 * crashes it recovered from) and each worker's last reported connections and requests. The new master goes on from
 * these instead of from zero.
 */
public record CarriedCounters(Map<Integer, Integer> restartsBySlot, Map<Long, Served> servedByPid) {
    /** A worker's counters as it last reported them. */
    public record Served(long connections, long requests) {
    }

    public static final CarriedCounters NONE = new CarriedCounters(Map.of(), Map.of());

    public CarriedCounters {
        restartsBySlot = Map.copyOf(restartsBySlot);
        servedByPid = Map.copyOf(servedByPid);
    }
}
