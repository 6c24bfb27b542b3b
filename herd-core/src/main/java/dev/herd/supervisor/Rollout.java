package dev.herd.supervisor;

import dev.herd.EnumLabels;
import dev.herd.command.RolloutResult;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The pace of one change of what slots run: its slots were told what to run ({@link Slot#want}) when it began;
 * this says which of them may get their new worker now. Batches of {@code batchSize}; for an upgrade the first
 * slot alone goes first as the canary, and the rest waits until it has proven itself. Owned by the supervisor
 * thread; it decides nothing about processes itself.
 */
final class Rollout {
    enum Kind {
        /** Same command, new generation (SIGHUP, SIGUSR2, `herd reload`). */
        RELOAD,
        /** New command or environment, with a canary. */
        UPGRADE,
        /** Back to the previous deployment after an upgrade failed part-way. */
        ROLLBACK,
        /** One slot's worker replaced by a new one of the same deployment (`herd restart slot N`, a hung worker). */
        RESTART,
        /** Slots whose workers passed a limit of the cluster's recycling, replaced by new ones of the same deployment. */
        RECYCLE;

        String label() {
            return EnumLabels.label(this);
        }
    }

    private final Kind kind;
    private final Deployment target;
    private final Deployment previous;
    private final int batchSize;
    private final long startedNanos;
    /** Answered with the {@link RolloutResult} when the rollout ends. */
    private final List<CompletableFuture<RolloutResult>> waiters;
    /** The slots it changes, in the order they get their new worker. */
    private final List<Slot> slots;
    /** Slots handed out whose change is under way (new worker starting, watched, or old one releasing). */
    private final Set<Slot> starting = new LinkedHashSet<>();
    private final List<Integer> replaced = new ArrayList<>();
    /** Upgrade only: the first slot's new worker must stay healthy this long before the rest roll. */
    private boolean canaryPending;
    /** Set while the canary is ready and being watched. */
    private WorkerProcess canary;
    /**
     * Old workers told to drain whose slot counts as replaced only once they let go of the listening socket:
     * until then they may still accept, and "done" must mean no old generation takes new connections.
     */
    private final Map<Slot, WorkerProcess> releasing = new LinkedHashMap<>();

    Rollout(Kind kind, Deployment target, Deployment previous, List<Slot> slots, int batchSize, long startedNanos,
            List<CompletableFuture<RolloutResult>> waiters) {
        this.kind = kind;
        this.waiters = List.copyOf(waiters);
        this.target = target;
        this.previous = previous;
        this.batchSize = Math.max(1, batchSize);
        this.startedNanos = startedNanos;
        this.slots = List.copyOf(slots);
        this.canaryPending = kind == Kind.UPGRADE && !slots.isEmpty();
    }

    Kind kind() {
        return kind;
    }

    Deployment target() {
        return target;
    }

    /** What the cluster ran when it began: where a failed upgrade rolls back to. */
    Deployment previous() {
        return previous;
    }

    int batchSize() {
        return batchSize;
    }

    java.time.Duration took(long nowNanos) {
        return java.time.Duration.ofNanos(nowNanos - startedNanos);
    }

    List<CompletableFuture<RolloutResult>> waiters() {
        return waiters;
    }

    int size() {
        return slots.size();
    }

    /**
     * Slots to start now: of those still wanting their new worker and not yet handed out, the canary alone first
     * (upgrade), then up to the batch size at a time.
     */
    List<Slot> nextSlots() {
        int room = (canaryPending ? 1 : batchSize) - starting.size();
        if (canary != null) {
            room = 0; // the rest waits until the canary has proven itself
        }
        List<Slot> next = new ArrayList<>();
        for (Slot slot : slots) {
            if (room <= 0) {
                break;
            }
            if (slot.wantsNewWorker() && !starting.contains(slot)) {
                starting.add(slot);
                next.add(slot);
                room--;
            }
        }
        return next;
    }

    boolean isStarting(Slot slot) {
        return starting.contains(slot);
    }

    /** An upgrade's first new worker is ready: it becomes the canary unless one was already watched. */
    boolean becomesCanary(WorkerProcess ready) {
        if (!canaryPending) {
            return false;
        }
        canaryPending = false;
        canary = ready;
        return true;
    }

    boolean isCanary(WorkerProcess worker) {
        return canary != null && canary == worker;
    }

    WorkerProcess canary() {
        return canary;
    }

    void canaryDone() {
        canary = null;
    }

    void releasing(Slot slot, WorkerProcess old) {
        releasing.put(slot, old);
    }

    boolean isReleasing(Slot slot, WorkerProcess worker) {
        return releasing.get(slot) == worker;
    }

    /** The slots whose old worker may still hold the socket, in the order they were promoted. */
    List<Map.Entry<Slot, WorkerProcess>> releasing() {
        return releasing.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue())).toList();
    }

    boolean anyReleasing() {
        return !releasing.isEmpty();
    }

    void slotReplaced(Slot slot) {
        releasing.remove(slot);
        starting.remove(slot);
        replaced.add(slot.id());
    }

    /** A slot that cannot be changed now (it failed, or it is gone): it keeps what it runs, not counted as replaced. */
    void slotSkipped(Slot slot) {
        starting.remove(slot);
        slot.keepCurrent();
    }

    boolean finished() {
        return slots.stream().noneMatch(Slot::wantsNewWorker) && starting.isEmpty() && canary == null
                && releasing.isEmpty();
    }

    /** Its slots that still wanted their new worker: they keep what they run. */
    void giveUp() {
        for (Slot slot : slots) {
            if (slot.wantsNewWorker()) {
                slot.keepCurrent();
            }
        }
    }

    List<Integer> replaced() {
        return List.copyOf(replaced);
    }

    List<Slot> startingSlots() {
        return List.copyOf(starting);
    }
}
