package dev.herd.runtime;

import dev.herd.ClusterSpec;
import dev.herd.Command;
import dev.herd.Delegate;
import dev.herd.EventListener;
import dev.herd.MasterRunner;
import dev.herd.WorkerMessageListener;
import dev.herd.supervisor.Delegates;

import java.util.List;
import java.util.Map;

/** herd-core's {@link MasterRunner}, found by {@link MasterRunner#load()}: library mode's way to the runtime. */
public final class CoreMasterRunner implements MasterRunner {
    @Override
    public int run(ClusterSpec spec, List<EventListener> listeners, List<Command> commands,
                   Map<String, Delegate> delegates, List<WorkerMessageListener> messageListeners) {
        return ClusterRunner.run(spec, listeners, commands, new Delegates(delegates, messageListeners));
    }
}
