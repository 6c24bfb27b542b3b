package dev.herd.supervisor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import dev.herd.command.RolloutResult;

import java.util.concurrent.CompletableFuture;

/**
 * The plan and progress of replacing slots with a new generation: which slots wait, which have a new worker
 * starting, which are done. Batches of {@code batchSize}; for an upgrade the first slot alone goes first as
 * the canary. Owned by the supervisor thread; it decides nothing about processes itself.
 */
final class Rollout {
    enum Kind {
        /** Same command, new generation (SIGHUP, SIGUSR2, `herd reload`). */
        RELOAD,
        /** New command or environment, with a canary. */
        UPGRADE,
        /** Back to the previous deployment after an upgrade failed part-way. */
        ROLLBACK,
        /** One slot's worker replaced by a new one of the same deployment (`herd restart slot N`). */
        RESTART;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    final Kind kind;
    final Deployment target;
    final Deployment previous;
    final int batchSize;
    final long startedNanos;
    /** Answered with the {@link RolloutResult} when the rollout ends. */
    final List<CompletableFuture<RolloutResult>> waiters = new ArrayList<>();
    private final Deque<Integer> waiting;
    private final Set<Integer> starting = new LinkedHashSet<>();
    private final List<Integer> replaced = new ArrayList<>();
    /** Upgrade only: the first slot's new worker must stay healthy this long before the rest roll. */
    boolean canaryPending;
    /** Set while the canary is ready and being watched. */
    WorkerProcess canary;
    /**
     * Old workers told to drain whose slot counts as replaced only once they let go of the listening socket:
     * until then they may still accept, and "done" must mean no old generation takes new connections.
     */
    final java.util.Map<Integer, WorkerProcess> releasing = new java.util.LinkedHashMap<>();

    Rollout(Kind kind, Deployment target, Deployment previous, List<Integer> slots, int batchSize, long startedNanos) {
        this.kind = kind;
        this.target = target;
        this.previous = previous;
        this.batchSize = Math.max(1, batchSize);
        this.startedNanos = startedNanos;
        this.waiting = new ArrayDeque<>(slots);
        this.canaryPending = kind == Kind.UPGRADE && !slots.isEmpty();
    }

    /** Slots to start now: the canary alone first (upgrade), then up to the batch size at a time. */
    List<Integer> nextSlots() {
        int room = (canaryPending ? 1 : batchSize) - starting.size();
        if (canary != null) {
            room = 0; // the rest waits until the canary has proven itself
        }
        List<Integer> next = new ArrayList<>();
        while (room-- > 0 && !waiting.isEmpty()) {
            int slot = waiting.pollFirst();
            starting.add(slot);
            next.add(slot);
        }
        return next;
    }

    void slotReplaced(int slot) {
        starting.remove(slot);
        replaced.add(slot);
    }

    /** A slot that cannot be replaced now (it failed, or it is gone): not counted as replaced. */
    void slotSkipped(int slot) {
        starting.remove(slot);
    }

    boolean isStarting(int slot) {
        return starting.contains(slot);
    }

    boolean finished() {
        return waiting.isEmpty() && starting.isEmpty() && canary == null && releasing.isEmpty();
    }

    List<Integer> replaced() {
        return List.copyOf(replaced);
    }

    List<Integer> startingSlots() {
        return List.copyOf(starting);
    }

    int totalSlots() {
        return waiting.size() + starting.size() + replaced.size();
    }
}
