package dev.herd.runtime;

import dev.herd.os.ExitStatus;
import dev.herd.os.NativeException;
import dev.herd.os.ProcFs;
import dev.herd.os.Processes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongPredicate;

/**
 * Reaps the processes that become the master's children without being its workers: the orphans its workers leave
 * (a daemonising child, a script's background job). They come to the master when it is PID 1 of a container (init
 * of its pid namespace) and otherwise because it makes itself their subreaper (PR_SET_CHILD_SUBREAPER), so that
 * they are not left to the host's init. Unreaped, each would stay a zombie, holding a pid, until the master ends.
 *
 * <p>Once a second the master asks the kernel whether any child of its has exited (one waitid that reaps nothing);
 * only then are its children listed (a read of each thread's children file: most of an idle master's loop time when
 * done every second); one found a zombie twice in a row, that is not a worker, is reaped. Twice: the JDK's own
 * process reaper (the master's {@code ProcessBuilder} children: nft, the next master of an upgrade) and the worker
 * watch reap theirs the moment they exit, so a child still a zombie a second later has no one else waiting for it,
 * and neither loses an exit status to this.
 */
final class OrphanReaper {
    private static final Logger log = LoggerFactory.getLogger(OrphanReaper.class);
    private final LongPredicate isWorker;
    private Set<Integer> zombiesSeen = Set.of();

    private OrphanReaper(LongPredicate isWorker) {
        this.isWorker = isWorker;
    }

    /** Becomes the orphans' reaper (nothing to do as PID 1) and returns the reaper to run every second. */
    static OrphanReaper start(LongPredicate isWorker) {
        long pid = ProcessHandle.current().pid();
        if (pid == 1) {
            log.info("event=master.init note=\"PID 1 of its pid namespace: reaps orphaned processes, drains on SIGTERM\"");
        } else {
            try {
                Processes.becomeSubreaper();
            } catch (NativeException e) {
                log.warn("event=master.subreaper_failed error=\"{}\" note=\"orphans of workers go to init\"",
                        e.getMessage());
            }
        }
        return new OrphanReaper(isWorker);
    }

    /** One look: reaps the children that were zombies at the last look too and are not workers. */
    void reap() {
        if (zombiesSeen.isEmpty() && !anyChildExited()) {
            return; // nearly always: one system call instead of a read of each thread's children file
        }
        Set<Integer> zombies = new HashSet<>();
        for (int child : ProcFs.ownChildren()) {
            if (!isWorker.test(child) && ProcFs.isZombie(child)) {
                zombies.add(child);
            }
        }
        for (int zombie : zombies) {
            if (!zombiesSeen.contains(zombie)) {
                continue;
            }
            try {
                Optional<ExitStatus> status = Processes.poll(zombie);
                status.ifPresent(s -> log.info("event=orphan.reaped pid={} status=\"{}\"", zombie, s.describe()));
            } catch (NativeException e) {
                // reaped by its own waiter after all (ECHILD): nothing left to do
            }
        }
        zombiesSeen = zombies;
    }

    private static boolean anyChildExited() {
        try {
            return Processes.anyChildExited();
        } catch (NativeException e) {
            return true; // cannot tell: list them
        }
    }
}
