package dev.herd;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Something the master did or saw. Every event has a dotted {@link #name()} and flat {@link #fields()},
 * which is what the structured log lines and (later) the event stream carry.
 */
public sealed interface Event {

    Instant at();

    String name();

    /** Field names and values in a stable order, for logs and streams. */
    Map<String, Object> fields();

    /** Why a worker process ended. */
    enum ExitReason {
        /** Exited or died without being asked to: a crash. */
        CRASH,
        /** Killed by the master because it was not ready within the start timeout. */
        START_TIMEOUT,
        /** Asked to stop (drain) by the master, and it did. */
        STOPPED,
        /** Asked to stop, but was killed at the drain timeout or by a hard stop. */
        KILLED,
        /** Killed at once over a hard limit (--max-memory-hard): replaced at once, and not a crash. */
        RECYCLED;

        public String label() {
            return EnumLabels.label(this);
        }
    }

    record ClusterListening(Instant at, String address, int workers) implements Event {
        public String name() { return "cluster.listening"; }
        public Map<String, Object> fields() { return ordered("address", address, "workers", workers); }
    }

    record WorkerForked(Instant at, int slot, long pid, int generation) implements Event {
        public String name() { return "worker.forked"; }
        public Map<String, Object> fields() { return ordered("slot", slot, "pid", pid, "generation", generation); }
    }

    record WorkerReady(Instant at, int slot, long pid, int generation, Duration startup) implements Event {
        public String name() { return "worker.ready"; }
        public Map<String, Object> fields() {
            return ordered("slot", slot, "pid", pid, "generation", generation, "startup_ms", startup.toMillis());
        }
    }

    record WorkerStatus(Instant at, int slot, long pid, String status) implements Event {
        public String name() { return "worker.status"; }
        public Map<String, Object> fields() { return ordered("slot", slot, "pid", pid, "status", status); }
    }

    /**
     * A worker of an earlier master that this master took over as it is.
     *
     * @param ready whether it was ready under the earlier master
     * @param role  {@code serving} (its slot's worker now) or {@code retired} (another worker of its slot, or of a slot
     *              this cluster no longer has: drained)
     */
    record WorkerAdopted(Instant at, int slot, long pid, int generation, boolean ready, String role) implements Event {
        public String name() { return "worker.adopted"; }
        public Map<String, Object> fields() {
            return ordered("slot", slot, "pid", pid, "generation", generation, "ready", ready, "role", role);
        }
    }

    /**
     * This master took the cluster over from an earlier one.
     *
     * @param kind    {@code adoption} (the earlier master was gone: its workers found from the state dir's records)
     *                or {@code handover} (the earlier master handed its cluster over and exited)
     * @param sockets the listening sockets carried over (the others bound anew)
     * @param took    from this master's start to the workers being its own
     */
    record MasterTakeover(Instant at, String kind, long fromPid, long toPid, int sockets, int workers, Duration took)
            implements Event {
        public String name() { return "master.takeover"; }
        public Map<String, Object> fields() {
            return ordered("kind", kind, "from_pid", fromPid, "to_pid", toPid, "sockets", sockets, "workers", workers,
                    "took_ms", took.toMillis());
        }
    }

    /** The worker sent STOPPING=1: it is going away by itself. */
    record WorkerStopping(Instant at, int slot, long pid) implements Event {
        public String name() { return "worker.stopping"; }
        public Map<String, Object> fields() { return ordered("slot", slot, "pid", pid); }
    }

    /**
     * @param exitCode   the exit code, or -1 when killed by a signal
     * @param signal     the signal name (TERM, KILL, ...) when killed by one, else null
     * @param lastOutput a worker that failed to start (never ready): its last lines of output (at most 5 lines,
     *                   2 KiB, newline-separated); else null
     */
    record WorkerExited(Instant at, int slot, long pid, int generation, int exitCode, String signal,
                        ExitReason reason, Duration uptime, String lastOutput) implements Event {
        public String name() { return "worker.exited"; }
        public Map<String, Object> fields() {
            return ordered("slot", slot, "pid", pid, "generation", generation, "code", exitCode < 0 ? null : exitCode,
                    "signal", signal, "reason", reason.label(), "uptime_ms", uptime.toMillis(), "last_output", lastOutput,
                    "status", exitCode < 0 && signal == null ? "unknown: adopted, not this master's child" : null);
        }
    }

    /**
     * A worker passed a limit of {@link dev.herd.Recycling} and is recycled: replaced by a fresh one without downtime
     * (or, over a hard limit, killed and replaced at once).
     *
     * @param reason     memory, memory_hard, requests, connections, uptime, cluster_memory or overload
     * @param value      what it measured: bytes, requests, connections or milliseconds of uptime
     * @param limit      the limit it passed, in the same unit (the worker's own, with its jitter)
     * @param waitedMs   how long the recycle waited (for a rollout, or for earlier recycles) since the limit was seen
     *                   passed
     */
    record WorkerRecycle(Instant at, int slot, long pid, int generation, String reason, long value, long limit,
                         long waitedMs) implements Event {
        public String name() { return "worker.recycle"; }
        public Map<String, Object> fields() {
            return ordered("slot", slot, "pid", pid, "generation", generation, "reason", reason, "value", value,
                    "limit", limit, "waited_ms", waitedMs);
        }
    }

    /**
     * A slot's fresh workers keep passing a limit as soon as they are ready: recycling it again would loop, so this
     * one is left running.
     */
    record WorkerRecycleFailed(Instant at, int slot, long pid, String reason, long value, long limit, int recycles,
                               String hint) implements Event {
        public String name() { return "worker.recycle_failed"; }
        public Map<String, Object> fields() {
            return ordered("slot", slot, "pid", pid, "reason", reason, "value", value, "limit", limit,
                    "recycles_in_a_row", recycles, "hint", hint);
        }
    }

    /**
     * The workers together hold more memory than {@code --cluster-memory-high}: this master takes it back until they
     * are under {@code --cluster-memory-low}, one step per look.
     *
     * @param action {@code kill-retired} (a draining worker killed), {@code recycle} (the largest serving worker
     *               recycled) or {@code none} (nothing left to take: every worker is as small as it gets)
     */
    record ClusterMemoryHigh(Instant at, long total, long high, long low, String action, int slot, long pid)
            implements Event {
        public String name() { return "cluster.memory_high"; }
        public Map<String, Object> fields() {
            return ordered("total", total, "high", high, "low", low, "action", action, "slot", slot < 0 ? null : slot,
                    "pid", pid <= 0 ? null : pid);
        }
    }

    /** @param failedStarts failed starts in a row (workers that never became ready), this one included */
    record RestartScheduled(Instant at, int slot, Duration delay, int recentExits, int failedStarts) implements Event {
        public String name() { return "worker.restart_scheduled"; }
        public Map<String, Object> fields() {
            return ordered("slot", slot, "delay_ms", delay.toMillis(), "exits_last_minute", recentExits,
                    "failed_starts", failedStarts);
        }
    }

    /**
     * A worker that never became ready said its address was in use: it bound the cluster's port itself instead of
     * serving on the socket Herd hands over (shared and reuseport modes), so it can never start as it is.
     *
     * @param socketFd where the worker should have taken the socket: 0 or 3
     * @param hint     what to change, in a sentence
     */
    record WorkerBoundOwnPort(Instant at, int slot, long pid, int port, int socketFd, String hint) implements Event {
        public String name() { return "worker.bound_own_port"; }
        public Map<String, Object> fields() {
            return ordered("slot", slot, "pid", pid, "port", port, "socket_fd", socketFd, "hint", hint);
        }
    }

    /**
     * A slot ran out of its crash budget and is left stopped.
     *
     * @param budget     the limit it ran out of, by its setting: {@code max-failed-starts} or
     *                   {@code max-restarts-per-minute}
     * @param limit      that setting's value
     * @param lastOutput the last worker's last lines when it never became ready, else null
     */
    record SlotFailed(Instant at, int slot, int recentExits, int limit, String budget, int failedStarts,
                      String lastOutput) implements Event {
        public String name() { return "slot.failed"; }
        public Map<String, Object> fields() {
            return ordered("slot", slot, "budget", budget, "limit", limit, "failed_starts", failedStarts,
                    "exits_last_minute", recentExits, "last_output", lastOutput);
        }
    }

    record SignalReceived(Instant at, String signal, String action) implements Event {
        public String name() { return "signal.received"; }
        public Map<String, Object> fields() { return ordered("signal", signal, "action", action); }
    }

    record ShutdownBegun(Instant at, boolean hard, Duration drainTimeout) implements Event {
        public String name() { return "cluster.shutdown"; }
        public Map<String, Object> fields() {
            return ordered("mode", hard ? "hard" : "drain", "drain_timeout_ms", drainTimeout.toMillis());
        }
    }

    /** @param lastFailure when every slot failed: which slot gave up last, why, and its worker's last output; else null */
    record ClusterStopped(Instant at, int exitCode, String why, String lastFailure) implements Event {
        public String name() { return "cluster.stopped"; }
        public Map<String, Object> fields() {
            return ordered("exit_code", exitCode, "why", why, "last_failure", lastFailure);
        }
    }

    /**
     * A rollout started.
     *
     * @param kind reload, upgrade or rollback
     */
    record ReloadBegun(Instant at, String kind, int generation, int fromGeneration, int slots, int batch) implements Event {
        public String name() { return "reload.begun"; }
        public Map<String, Object> fields() {
            return ordered("kind", kind, "generation", generation, "from_generation", fromGeneration, "slots", slots,
                    "batch", batch);
        }
    }

    record ReloadQueued(Instant at, String note) implements Event {
        public String name() { return "reload.queued"; }
        public Map<String, Object> fields() { return ordered("note", note); }
    }

    /** The first worker of an upgrade is ready and is being watched before the rest roll. */
    record CanaryWatching(Instant at, int slot, long pid, int generation, Duration observe) implements Event {
        public String name() { return "reload.canary"; }
        public Map<String, Object> fields() {
            return ordered("slot", slot, "pid", pid, "generation", generation, "observe_ms", observe.toMillis());
        }
    }

    /** A slot's new worker is ready and its old one was retired (told to drain). */
    record SlotReplaced(Instant at, String kind, int slot, long oldPid, long newPid, int generation, Duration took)
            implements Event {
        public String name() { return "reload.slot_replaced"; }
        public Map<String, Object> fields() {
            return ordered("kind", kind, "slot", slot, "old_pid", oldPid <= 0 ? null : oldPid, "new_pid", newPid,
                    "generation", generation, "ms", took.toMillis());
        }
    }

    record ReloadDone(Instant at, String kind, int generation, int slots, Duration took) implements Event {
        public String name() { return "reload.done"; }
        public Map<String, Object> fields() {
            return ordered("kind", kind, "generation", generation, "slots", slots, "duration_ms", took.toMillis());
        }
    }

    record ReloadFailed(Instant at, String kind, int generation, String reason, String outcome, Duration took)
            implements Event {
        public String name() { return "reload.failed"; }
        public Map<String, Object> fields() {
            return ordered("kind", kind, "generation", generation, "reason", reason, "outcome", outcome,
                    "duration_ms", took.toMillis());
        }
    }

    /**
     * A worker was told to drain after being replaced, and lost its CPU priority.
     *
     * @param priority how it was deprioritised, or why it could not be
     */
    record WorkerRetired(Instant at, int slot, long pid, int generation, String priority) implements Event {
        public String name() { return "worker.retired"; }
        public Map<String, Object> fields() {
            return ordered("slot", slot, "pid", pid, "generation", generation, "priority", priority);
        }
    }

    /** A slot's worker log cannot be written (a full disk, say): its lines wait in the spool meanwhile. */
    record LogsFailing(Instant at, int slot, String error) implements Event {
        public String name() { return "logs.failing"; }
        public Map<String, Object> fields() { return ordered("slot", slot, "error", error); }
    }

    /** A slot's worker log can be written again: the lines that waited in the spool are copied. */
    record LogsRecovered(Instant at, int slot) implements Event {
        public String name() { return "logs.recovered"; }
        public Map<String, Object> fields() { return ordered("slot", slot); }
    }

    /**
     * An operator took this machine out of the load balancers' rotation ({@code ecv disable}: GET /ecv answers
     * DISABLED) or put it back ({@code ecv enable}).
     */
    record EcvChanged(Instant at, boolean enabled) implements Event {
        public String name() { return enabled ? "ecv.enabled" : "ecv.disabled"; }
        public Map<String, Object> fields() { return ordered(); }
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            if (keysAndValues[i + 1] != null) {
                map.put((String) keysAndValues[i], keysAndValues[i + 1]);
            }
        }
        return map;
    }
}
