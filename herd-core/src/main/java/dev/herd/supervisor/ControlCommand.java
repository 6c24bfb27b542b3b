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
}
