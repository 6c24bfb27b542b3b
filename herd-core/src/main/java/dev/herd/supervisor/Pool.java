package dev.herd.supervisor;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The slots and every live worker by pid (a retired one is no slot's worker but still here until it exits). */
final class Pool {
    private final List<Slot> slots = new ArrayList<>();
    private final Map<Long, WorkerProcess> workersByPid = new HashMap<>();

    List<Slot> slots() {
        return slots;
    }

    Slot slot(int id) {
        return slots.get(id);
    }

    /** Whether {@code id} names a slot ever made (removed ones included). */
    boolean hasSlot(int id) {
        return id >= 0 && id < slots.size();
    }

    void add(Slot slot) {
        slots.add(slot);
    }

    /** The slots the cluster has now (scale down removes the highest ones; they stay listed while draining). */
    int slotCount() {
        return (int) slots.stream().filter(s -> !s.removed()).count();
    }

    List<Slot> present() {
        return slots.stream().filter(s -> !s.removed()).toList();
    }

    List<Slot> running() {
        return slots.stream().filter(Slot::running).toList();
    }

    /** Every slot gave up (none stopped by an operator, none left): the master has nothing to supervise. */
    boolean allFailed() {
        return slots.stream().allMatch(s -> s.failed() || s.removed());
    }

    WorkerProcess worker(long pid) {
        return workersByPid.get(pid);
    }

    /** Whether this worker is still the one the pool knows by its pid (not exited and reaped). */
    boolean isLive(WorkerProcess worker) {
        return worker.live() && workersByPid.get(worker.pid()) == worker;
    }

    void register(WorkerProcess worker) {
        workersByPid.put(worker.pid(), worker);
    }

    WorkerProcess unregister(long pid) {
        return workersByPid.remove(pid);
    }

    Collection<WorkerProcess> workers() {
        return workersByPid.values();
    }

    boolean noWorkers() {
        return workersByPid.isEmpty();
    }

    List<WorkerProcess> snapshot() {
        return List.copyOf(workersByPid.values());
    }

    /** The slot whose current or incoming worker this is; null for a retired worker or an unknown pid. */
    Slot slotServedBy(WorkerProcess worker) {
        if (worker == null) {
            return null;
        }
        Slot slot = slots.get(worker.slot());
        return slot.worker() == worker || slot.incoming() == worker ? slot : null;
    }

    List<WorkerProcess> retiredAndLive() {
        List<WorkerProcess> retired = new ArrayList<>();
        for (WorkerProcess worker : workersByPid.values()) {
            if (worker.retired() && worker.live()) {
                retired.add(worker);
            }
        }
        return retired;
    }
}
