package dev.herd;

import java.util.List;
import java.util.Map;

/**
 * Runs a master in this process until its cluster stops. Provided by herd-core's runtime through
 * {@link java.util.ServiceLoader}, so that this public package does not depend on the internals; applications use
 * {@link Herd#cluster()} and never implement or call it.
 */
public interface MasterRunner {
    /**
     * @return the master's exit code
     * @throws StartupException when the cluster cannot start (nothing is left behind)
     */
    int run(ClusterSpec spec, List<EventListener> listeners, List<Command> commands, Map<String, Delegate> delegates,
            List<WorkerMessageListener> messageListeners);

    /** The runtime on the class or module path; an {@link IllegalStateException} naming herd-core when there is none. */
    static MasterRunner load() {
        return java.util.ServiceLoader.load(MasterRunner.class, MasterRunner.class.getClassLoader()).findFirst()
                .orElseThrow(() -> new IllegalStateException(
                        "no Herd runtime found: put herd-core's jar (with its META-INF/services) on the class or module path"));
    }
}
