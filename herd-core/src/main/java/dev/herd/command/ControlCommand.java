package dev.herd.command;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What an operator can ask of a running master, each with the type of its answer. Carried out on the supervisor
 * thread through a {@link CommandGateway}; the CLI, the local socket and the HTTP API share these records.
 *
 * @param <R> the answer's type
 */
public sealed interface ControlCommand<R> {

    /** Replace every slot with a new generation of the same deployment; answered when it ends. */
    record Reload() implements ControlCommand<RolloutResult> {
    }

    /** Roll every slot to a new command and environment, canary first; answered when it ends. */
    record Upgrade(List<String> argv, Map<String, String> env) implements ControlCommand<RolloutResult> {
        public Upgrade {
            argv = List.copyOf(argv);
            env = Map.copyOf(env);
        }
    }

    /** SIGKILL every retired (draining) worker now; answered with their pids. */
    record KillRetired() implements ControlCommand<List<Long>> {
    }

    /**
     * Start a new master with this one's command line (a new Herd installed at the same path, for instance) that
     * takes the cluster over ({@code herd run --takeover}); answered once it is started, with its pid.
     */
    record UpgradeMaster() implements ControlCommand<MasterStarted> {
    }

    /** A snapshot of the slots and workers. */
    record Status() implements ControlCommand<ClusterStatus> {
    }

    /**
     * Stop the whole cluster gracefully, as SIGTERM does: workers drain, then the master exits.
     *
     * @param drainTimeout how long workers may drain before SIGKILL; null for the master's --drain-timeout
     */
    record Stop(Duration drainTimeout) implements ControlCommand<Stopping> {
    }

    /** Stop at once, as a second Ctrl-C does: every worker is killed, then the master exits. */
    record Exit() implements ControlCommand<Exiting> {
    }

    /** Which workers a command is about: every slot, one slot, or the worker with a pid. */
    sealed interface Target {
        record All() implements Target {
        }

        record OfSlot(int slot) implements Target {
        }

        record OfPid(long pid) implements Target {
        }
    }

    /**
     * Replace workers without downtime: all (a reload) or one slot's (a new worker of the same deployment starts,
     * takes over when ready, the old one drains). A stopped or failed slot is started again. Answered when done.
     */
    record Restart(Target target) implements ControlCommand<RolloutResult> {
    }

    /**
     * Drain workers and leave their slots stopped (not restarted) until {@code restart}; the master keeps running.
     *
     * @param drainTimeout how long they may drain before SIGKILL; null for the master's --drain-timeout
     */
    record Shutdown(Target target, Duration drainTimeout) implements ControlCommand<SlotsStopped> {
    }

    /** Send an application message to workers on their channel ({@code Worker.onMessage}); answered with who got it. */
    record Message(Target target, String payload) implements ControlCommand<MessageSent> {
    }

    /** Change the number of slots: new ones start, the highest ones drain and go away. */
    record Scale(int workers) implements ControlCommand<Scaled> {
    }

    /** The answer to {@link UpgradeMaster}: the new master, which is taking the cluster over. */
    record MasterStarted(long pid, List<String> argv) {
        public MasterStarted {
            argv = List.copyOf(argv);
        }
    }

    /** The answer to {@link Stop}: the master drains for that long, then exits. */
    record Stopping(boolean stopping, long drainTimeoutMillis) {
    }

    /** The answer to {@link Exit}. */
    record Exiting(boolean exiting) {
    }

    /** The answer to {@link Shutdown}: the slots now stopped and the workers told to drain. */
    record SlotsStopped(List<Integer> stoppedSlots, List<Long> drainingPids, long drainTimeoutMillis) {
        public SlotsStopped {
            stoppedSlots = List.copyOf(stoppedSlots);
            drainingPids = List.copyOf(drainingPids);
        }
    }

    /** The answer to {@link Message}: the workers it was written to, and those with no channel open. */
    record MessageSent(List<Long> sentTo, List<Long> notConnected) {
        public MessageSent {
            sentTo = List.copyOf(sentTo);
            notConnected = List.copyOf(notConnected);
        }
    }

    /** The answer to {@link Scale}. */
    record Scaled(int from, int to, List<Integer> startedSlots, List<Integer> removedSlots) {
        public Scaled {
            startedSlots = List.copyOf(startedSlots);
            removedSlots = List.copyOf(removedSlots);
        }
    }
}
