package dev.herd.runtime;

import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Whether the master's limits leave room for its workers, checked before anything starts: at the limit a master
 * cannot open a worker's notify socket or read its readiness, or spawn it, and fails later and less clearly. Pure:
 * the caller reads the limits and the usage ({@link dev.herd.os.ResourceLimits}).
 */
final class ResourcePreflight {
    /** The master's own descriptors beyond those open at start: control and API connections, log followers, /proc reads. */
    static final int MASTER_FDS = 64;
    /**
     * A slot's descriptors in the master while it is replaced: two workers' notify socket, channel and pidfd, plus its
     * spool and log file.
     */
    static final int FDS_PER_SLOT = 8;
    /**
     * Threads the master still starts after the check (API, logs, watch, carriers, the proxy's loops), with room to
     * spare: it has about 12 then, and 20 serving in the socket modes, 24 in proxy mode on 2 cores.
     */
    static final int MASTER_THREADS = 16;
    static final long UNLIMITED = Long.MAX_VALUE;

    private ResourcePreflight() {
    }

    /** The open-files problem, if any: {@code openNow} descriptors are open, the soft limit is {@code limit}. */
    static Optional<String> openFiles(int workers, long limit, int openNow) {
        long needed = (long) openNow + MASTER_FDS + (long) FDS_PER_SLOT * workers;
        if (limit == UNLIMITED || needed <= limit) {
            return Optional.empty();
        }
        return Optional.of("open files: the limit (RLIMIT_NOFILE) is " + limit + " and " + workers + " workers need about " + needed
                + " (" + openNow + " open now, " + MASTER_FDS + " for the master, " + FDS_PER_SLOT + " per worker)"
                + "; raise it (ulimit -n " + needed + ", or LimitNOFILE=" + needed + " in a systemd unit) or run fewer --workers");
    }

    /**
     * The process problem, if any: the real user has {@code userThreads} processes and threads (this master's
     * included) and a soft limit of {@code limit}; each worker is at least one more process. The count (a read of
     * every process's status in /proc, tens of milliseconds) is taken only when a limit applies.
     */
    static Optional<String> processes(int workers, long limit, LongSupplier userThreads, boolean enforced) {
        if (!enforced || limit == UNLIMITED) {
            return Optional.empty();
        }
        long userThreadsNow = userThreads.getAsLong();
        long needed = userThreadsNow + MASTER_THREADS + workers;
        if (needed <= limit) {
            return Optional.empty();
        }
        return Optional.of("processes: the limit (RLIMIT_NPROC) of this user's processes and threads is " + limit + " and " + workers
                + " workers need at least " + needed + " (" + userThreadsNow + " running now, " + MASTER_THREADS
                + " more for the master, one per worker, more for workers that run threads)"
                + "; raise it (ulimit -u, or LimitNPROC= in a systemd unit) well above that or run fewer --workers");
    }
}
