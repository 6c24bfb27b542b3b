package dev.herd.supervisor;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A worker of an earlier master that this one takes over as it is (after that master was killed, or handed its
 * cluster over): what its record says about it.
 *
 * @param startTime its start time in clock ticks since boot: the pid names it only while this matches
 * @param env       the environment its deployment added to the master's (an upgrade's)
 * @param ready     it had become ready under the earlier master
 * @param port      its private port in proxy mode, else 0
 * @param sequence  the number in its notify and channel socket names; new workers are numbered above it
 * @param cgroup    its cgroup directory, or null when it has none
 */
public record AdoptedWorker(int slot, long pid, long startTime, int generation, List<String> argv,
                            Map<String, String> env, boolean ready, Instant spawnedAt, int port, long sequence,
                            Path notifySocket, Path channelSocket, String cgroup) {
    public AdoptedWorker {
        argv = List.copyOf(argv);
        env = Map.copyOf(env);
    }

    Deployment deployment() {
        return new Deployment(generation, argv, env);
    }
}
