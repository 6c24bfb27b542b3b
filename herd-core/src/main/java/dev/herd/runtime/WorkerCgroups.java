package dev.herd.runtime;

import dev.herd.command.Containment;

import dev.herd.command.Containment;

import dev.herd.os.Cgroup;
import dev.herd.os.OwnCgroup;
import dev.herd.os.Processes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the master's workers are contained, so that everything a worker started is stopped with it, even a child
 * that left its process group with setsid() (a daemonizing script) and still holds the listening socket.
 *
 * <p>Layout: the master stays in the cgroup it was started in (C) and creates {@code C/herd-PORT-MASTERPID}, one
 * child {@code worker-SLOT-SEQ} per worker. cgroup v2's "no internal processes" rule does not bite: the master
 * enables no controllers, and {@code herd-PORT-MASTERPID} itself never holds a process. Per-worker controllers
 * (memory.current) would need them enabled in C's subtree_control, which the kernel refuses while C holds the
 * master (unless C is the root): that step will have to move the master into a leaf first (systemd's
 * DelegateSubgroup= does it for a unit). Killing needs no controller. The master's pid in the name keeps two masters on one port number (two addresses)
 * apart and tells a stale subtree (its master is dead) from a live one. A worker is stopped as before (SIGTERM to
 * its process group, SIGKILL at the drain timeout); once it has exited, its cgroup is killed ({@code cgroup.kill})
 * and removed when empty, off the supervisor thread.
 *
 * <p>Where no cgroup can be made (no cgroup v2, C not writable: not root and not delegated, Linux before 5.14,
 * {@code HERD_CGROUPS=off}) workers are contained by their process group only, and {@link #containment()} says so.
 */
final class WorkerCgroups implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkerCgroups.class);
    static final String DISABLE_VARIABLE = "HERD_CGROUPS";
    private static final Pattern SUBTREE = Pattern.compile("herd-(\\d+)-(\\d+)");
    private static final long FIRST_CHECK_MILLIS = 5;
    private static final long MAX_CHECK_MILLIS = 500;
    /** How long the master's exit waits for its killed workers' cgroups to empty (the port is free only then). */
    private static final Duration EXIT_WAIT = Duration.ofSeconds(5);

    private final Cgroup subtree;
    private final int port;
    private final Containment containment;
    private final Set<Cgroup> emptying = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService remover;
    private long sequence;
    private volatile boolean handedOver;

    private WorkerCgroups(Cgroup subtree, int port, Containment containment) {
        this.subtree = subtree;
        this.port = port;
        this.containment = containment;
        this.remover = subtree == null ? null : Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("herd-cgroups").factory());
    }

    /** Process groups only, e.g. for tests and where cgroups are disabled. */
    static WorkerCgroups none(String reason) {
        return new WorkerCgroups(null, 0, Containment.processGroup(reason));
    }

    /**
     * Creates the master's subtree under its own cgroup, or falls back to process groups. Logs nothing: a master
     * that fails to start says only why.
     */
    static WorkerCgroups open(int port, Map<String, String> env) {
        if ("off".equals(env.get(DISABLE_VARIABLE))) {
            return none("disabled by " + DISABLE_VARIABLE + "=off");
        }
        Cgroup own;
        try {
            own = OwnCgroup.find();
        } catch (IllegalStateException e) {
            return none(e.getMessage());
        }
        long masterPid = ProcessHandle.current().pid();
        Cgroup subtree;
        try {
            subtree = own.createChild("herd-" + port + "-" + masterPid);
        } catch (IOException e) {
            return none("cannot create a cgroup in " + own + " (" + e.getClass().getSimpleName() + " "
                    + e.getMessage() + "): run as root or in a delegated cgroup (systemd Delegate=yes)");
        }
        if (!subtree.canKill()) {
            removeQuietly(subtree);
            return none("this kernel has no cgroup.kill (Linux 5.14 or later needed)");
        }
        return new WorkerCgroups(subtree, port, new Containment("cgroup", subtree.toString(), null));
    }

    /** The workers now belong to another master: their cgroups stay where they are when this one ends. */
    void handOver() {
        handedOver = true;
    }

    /**
     * Once the master has started: removes what killed masters left (see {@link #removeStale}) and logs the one
     * line that says how workers are contained.
     */
    void start(java.util.Set<Long> adopted) {
        if (subtree != null) {
            removeStale(new Cgroup(subtree.dir().getParent()), port, adopted);
            log.info("event=containment mode={} cgroup={}", containment.mode(), containment.cgroup());
        } else {
            log.warn("event=containment mode={} reason=\"{}\"", containment.mode(), containment.reason());
        }
    }

    /**
     * Subtrees of earlier masters that were killed before they could remove them (their pid no longer runs): empty
     * worker cgroups go, on any port, so killed masters do not pile up cgroups; populated ones are kept, because
     * their workers still serve on purpose (a master killed with SIGKILL leaves its workers running) and only an
     * operator should stop them. Those on this master's port are named in the log.
     */
    private static void removeStale(Cgroup own, int port, java.util.Set<Long> adopted) {
        try {
            for (Cgroup candidate : own.children()) {
                Matcher name = SUBTREE.matcher(candidate.dir().getFileName().toString());
                if (!name.matches() || name.group(2).length() > 9) {
                    continue;
                }
                int pid = Integer.parseInt(name.group(2));
                if (pid == ProcessHandle.current().pid() || Processes.isAlive(pid)) {
                    continue; // its master runs (or the pid was reused: leave it alone)
                }
                boolean samePort = name.group(1).equals(Integer.toString(port));
                for (Cgroup worker : candidate.children()) {
                    if (!worker.removeIfEmpty() && samePort && !adoptedIn(worker, adopted)) {
                        log.warn("event=cgroup.stale_kept cgroup={} pids=\"{}\" note=\"workers of a killed master still"
                                + " run there; stop them with: echo 1 > {}/cgroup.kill\"", worker, pids(worker), worker);
                    }
                }
                if (candidate.removeIfEmpty()) {
                    log.info("event=cgroup.stale_removed cgroup={}", candidate);
                }
            }
        } catch (IOException | RuntimeException e) {
            log.warn("event=cgroup.stale_check_failed cgroup={} error=\"{}\"", own, e.getMessage());
        }
    }

    Containment containment() {
        return containment;
    }

    /** A new cgroup for a worker of the slot, or null where workers have none (then the process group contains it). */
    Cgroup newWorkerCgroup(int slot) {
        if (subtree == null) {
            return null;
        }
        while (true) {
            String name = "worker-" + slot + "-" + sequence++;
            try {
                return subtree.createChild(name);
            } catch (FileAlreadyExistsException e) {
                // not ours to reuse: try the next number
            } catch (IOException e) {
                log.error("event=cgroup.create_failed cgroup={}/{} error=\"{}\" note=\"the worker runs without its own"
                        + " cgroup: a child that leaves its process group will outlive it\"", subtree, name, e.getMessage());
                return null;
            }
        }
    }

    /**
     * SIGKILLs what is left in an exited worker's cgroup and removes the cgroup once it is empty. Does not wait:
     * the emptiness is checked on the {@code herd-cgroups} thread.
     */
    void killAndRemove(Cgroup cgroup) {
        try {
            cgroup.kill();
        } catch (IOException | RuntimeException e) {
            log.error("event=cgroup.kill_failed cgroup={} error=\"{}\"", cgroup, e.getMessage());
        }
        emptying.add(cgroup);
        scheduleRemoval(cgroup, FIRST_CHECK_MILLIS);
    }

    private void scheduleRemoval(Cgroup cgroup, long delayMillis) {
        try {
            remover.schedule(() -> removeWhenEmpty(cgroup, delayMillis), delayMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing: close() removes what is left
        }
    }

    private void removeWhenEmpty(Cgroup cgroup, long lastDelayMillis) {
        try {
            if (!cgroup.populated() && cgroup.removeIfEmpty()) {
                emptying.remove(cgroup);
                return;
            }
        } catch (IOException | RuntimeException e) { // an exception would end the rescheduling silently
            log.warn("event=cgroup.remove_failed cgroup={} error=\"{}\"", cgroup, e.getMessage());
        }
        scheduleRemoval(cgroup, Math.min(lastDelayMillis * 2, MAX_CHECK_MILLIS));
    }

    /**
     * At the master's exit: waits (at most {@link #EXIT_WAIT}) until the killed workers' cgroups are empty, so that
     * nothing of the cluster holds the port when the master is gone, then removes every empty cgroup and the subtree.
     */
    @Override
    public void close() {
        if (subtree == null) {
            return;
        }
        remover.shutdownNow();
        if (handedOver) {
            return; // the workers run on in their cgroups, under the new master
        }
        long deadline = System.nanoTime() + EXIT_WAIT.toNanos();
        try {
            for (Cgroup worker : subtree.children()) {
                // a worker still running that was never killed (the master ends on an error) keeps running, as it
                // would after a SIGKILL of the master: its cgroup stays
                while (emptying.contains(worker) && worker.populated() && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                if (!worker.removeIfEmpty()) {
                    log.warn("event=cgroup.left cgroup={} pids=\"{}\"", worker, pids(worker));
                }
            }
            subtree.removeIfEmpty();
        } catch (IOException | RuntimeException e) { // never instead of the master's exit code
            log.warn("event=cgroup.remove_failed cgroup={} error=\"{}\"", subtree, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether a worker this master adopted runs in the cgroup (then it is this master's, not a stale one). */
    private static boolean adoptedIn(Cgroup cgroup, java.util.Set<Long> adopted) {
        try {
            return !adopted.isEmpty() && cgroup.pids().stream().anyMatch(pid -> adopted.contains(pid.longValue()));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static String pids(Cgroup cgroup) throws IOException {
        return String.join(" ", cgroup.pids().stream().map(String::valueOf).toList());
    }

    private static void removeQuietly(Cgroup cgroup) {
        try {
            cgroup.removeIfEmpty();
        } catch (IOException e) {
            // nothing was started in it; an empty directory is all that is left
        }
    }
}
