package dev.herd.supervisor;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One hand-over of the cluster to a new master, as the loop and the thread that talks to the new master share it.
 * Its state moves once, by compare-and-set, so the two can never disagree: the loop freezes it (or the asking side
 * gives up first); then either the asking side confirms it (from then on the cluster is the new master's, whatever
 * the time) or one of them abandons it (the loop after its limit, the other side when the new master fails), and the
 * loop goes on.
 */
public final class HandOff {
    enum State { ASKED, FROZEN, CONFIRMED, ABANDONED }

    /**
     * What the loop runs when it stops (a new master started as this one's successor keeps it), and what it counted
     * (the new master goes on from it).
     */
    public record Frozen(List<String> argv, Map<String, String> env, int slots, CarriedCounters counters) {
        public Frozen {
            argv = List.copyOf(argv);
            env = Map.copyOf(env);
        }
    }

    private final long newMasterPid;
    private final AtomicReference<State> state = new AtomicReference<>(State.ASKED);
    private final CompletableFuture<Frozen> frozen = new CompletableFuture<>();
    private final CompletableFuture<Void> settled = new CompletableFuture<>();

    public HandOff(long newMasterPid) {
        this.newMasterPid = newMasterPid;
    }

    long newMasterPid() {
        return newMasterPid;
    }

    // ---- the loop's side ----

    /** The loop has stopped; false when the asking side gave up before (the loop then goes on at once). */
    boolean freeze(Frozen what) {
        if (!state.compareAndSet(State.ASKED, State.FROZEN)) {
            return false;
        }
        frozen.complete(what);
        return true;
    }

    /** The loop cannot stop now (a rollout runs, the master is stopping). */
    void refuse(String why) {
        if (state.compareAndSet(State.ASKED, State.ABANDONED)) {
            frozen.completeExceptionally(new IllegalStateException(why));
            settled.complete(null);
        }
    }

    /**
     * Blocks until the hand-over is settled; true when the new master confirmed. At {@code limit} the loop abandons
     * it, unless it was confirmed meanwhile: then it waits for the letting go to end.
     */
    boolean awaitSettled(Duration limit) {
        try {
            settled.get(limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            if (state.compareAndSet(State.FROZEN, State.ABANDONED)) {
                settled.complete(null);
                return false;
            }
            settled.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (state.compareAndSet(State.FROZEN, State.ABANDONED)) {
                settled.complete(null);
                return false;
            }
        } catch (ExecutionException e) {
            return false;
        }
        return state.get() == State.CONFIRMED;
    }

    // ---- the asking side ----

    /** Waits for the loop to stop: what it runs, or an exception saying why it will not (or did not in time). */
    public Frozen awaitFrozen(Duration limit) throws Exception {
        try {
            return frozen.get(limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            abandon();
            if (frozen.isDone() && !frozen.isCompletedExceptionally() && state.get() != State.ABANDONED) {
                return frozen.join();
            }
            throw new IllegalStateException("the running master's loop did not stop within " + limit.toSeconds() + " s");
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    /**
     * The new master confirmed: true when the cluster is its from now on (false: the loop gave up waiting first and
     * goes on; the new master must not get a goodbye).
     */
    public boolean confirm() {
        return state.compareAndSet(State.FROZEN, State.CONFIRMED);
    }

    /** After {@link #confirm}: everything is let go of; the loop may end. */
    public void letGoDone() {
        settled.complete(null);
    }

    /** The new master failed or vanished before confirming: the loop goes on (nothing if it was confirmed). */
    public void abandon() {
        if (state.compareAndSet(State.FROZEN, State.ABANDONED) || state.compareAndSet(State.ASKED, State.ABANDONED)) {
            settled.complete(null);
        }
    }
}
