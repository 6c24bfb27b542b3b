package dev.herd.supervisor;

import java.util.List;
import java.util.Map;

/** What an operator can ask of a running master. Each is answered on the supervisor thread. */
public sealed interface ControlCommand {

    /** Replace every slot with a new generation of the same deployment; answered when it ends. */
    record Reload() implements ControlCommand {
    }

    /** Roll every slot to a new command and environment, canary first; answered when it ends. */
    record Upgrade(List<String> argv, Map<String, String> env) implements ControlCommand {
        public Upgrade {
            argv = List.copyOf(argv);
            env = Map.copyOf(env);
        }
    }

    /** SIGKILL every retired (draining) worker now; answered with their pids. */
    record KillRetired() implements ControlCommand {
    }

    /** A snapshot of the slots and workers. */
    record Status() implements ControlCommand {
    }

    /**
     * Stop the whole cluster gracefully, as SIGTERM does: workers drain, then the master exits.
     *
     * @param drainTimeout how long workers may drain before SIGKILL; null for the master's --drain-timeout
     */
    record Stop(java.time.Duration drainTimeout) implements ControlCommand {
    }

    /** Stop at once, as a second Ctrl-C does: every worker is killed, then the master exits. */
    record Exit() implements ControlCommand {
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
    record Restart(Target target) implements ControlCommand {
    }

    /**
     * Drain workers and leave their slots stopped (not restarted) until {@code restart}; the master keeps running.
     *
     * @param drainTimeout how long they may drain before SIGKILL; null for the master's --drain-timeout
     */
    record Shutdown(Target target, java.time.Duration drainTimeout) implements ControlCommand {
    }

    /** Send an application message to workers on their channel ({@code Worker.onMessage}); answered with who got it. */
    record Message(Target target, String payload) implements ControlCommand {
    }

    /** Change the number of slots: new ones start, the highest ones drain and go away. */
    record Scale(int workers) implements ControlCommand {
    }
}
