package dev.herd.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Which CPUs the load generator and the servers run on. On a small machine wrk and the servers otherwise fight
 * for the same cores, and a variant with more processes loses to scheduling rather than to its own cost;
 * pinned, wrk has CPU 0 and every server (Herd's master and workers, the direct worker, HAProxy and its workers)
 * shares the others, so every variant gets the same CPU budget.
 *
 * @param load    command prefix for wrk (empty: not pinned)
 * @param servers command prefix for everything that serves
 */
record Pinning(List<String> load, List<String> servers) {
    private static final Path TASKSET = Path.of("/usr/bin/taskset");

    static final Pinning NONE = new Pinning(List.of(), List.of());

    /** Pins when asked, the machine has at least 2 CPUs and taskset is there; else {@link #NONE}. */
    static Pinning choose(boolean wanted) {
        int cpus = Runtime.getRuntime().availableProcessors();
        if (!wanted || cpus < 2 || !Files.isExecutable(TASKSET)) {
            return NONE;
        }
        String servers = cpus == 2 ? "1" : "1-" + (cpus - 1);
        return new Pinning(List.of(TASKSET.toString(), "-c", "0"), List.of(TASKSET.toString(), "-c", servers));
    }

    boolean pinned() {
        return !load.isEmpty();
    }

    /** CPUs the servers may use. */
    int serverCpus() {
        return pinned() ? Runtime.getRuntime().availableProcessors() - 1 : Runtime.getRuntime().availableProcessors();
    }

    String describe() {
        return pinned() ? "wrk on CPU 0 (`" + String.join(" ", load) + "`), every server on the others (`"
                + String.join(" ", servers) + "`)" : "not pinned: wrk and the servers share every CPU";
    }
}
