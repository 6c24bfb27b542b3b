package dev.herd.supervisor;

import dev.herd.listen.Listeners;
import dev.herd.listen.ServingWorker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * The workers that serve their slot (ready, the slot's current worker), told to the listeners whenever it
 * changes: sticky sessions, the proxy and nat steer new connections by it. Frozen once the shutdown begins, so
 * draining workers do not move the steering.
 */
final class ServingSet {
    private static final Logger log = LoggerFactory.getLogger(ServingSet.class);

    private final Pool pool;
    private final Listeners listeners;
    private List<ServingWorker> serving;
    private boolean frozen;

    ServingSet(Pool pool, Listeners listeners) {
        this.pool = pool;
        this.listeners = listeners;
    }

    void update() {
        List<ServingWorker> now = new ArrayList<>();
        for (Slot slot : pool.slots()) {
            WorkerProcess worker = slot.worker();
            if (worker != null && worker.serving()) {
                now.add(new ServingWorker(slot.id(), worker.pid(), worker.port()));
            }
        }
        if (!frozen && !now.equals(serving)) {
            serving = now;
            try {
                listeners.servingChanged(now);
            } catch (RuntimeException e) {
                log.error("event=listeners.update_failed error=\"{}\"", e.getMessage());
            }
        }
    }

    void freeze() {
        frozen = true;
    }
}
