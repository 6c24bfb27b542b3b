package dev.herd.command;

import java.util.List;

/**
 * The answers of the control commands the master gives itself (not through the supervisor): written by the
 * control plane, read by the CLI. Enums are written as their lower-case labels.
 */
public final class Answers {
    private Answers() {
    }

    /** {@code health}: ok when every slot has a ready worker, degraded when some do, down when none does. */
    public record Health(Status status, int slots, int readySlots, List<Integer> failedSlots, String rollout, String ecv,
                         String logs, List<LogFailure> logsFailing) {
        public enum Status { OK, DEGRADED, DOWN }
    }

    /** A slot whose log cannot be written now, and why. */
    public record LogFailure(int slot, String error) {
    }

    /** One line of a worker's log. */
    public record LogLine(int slot, String line) {
    }

    /** {@code info}: the master and its settings. */
    public record Info(String version, String java, long masterPid, String startedAt, long uptimeMillis, String address,
                       String mode, int workers, int generation, List<String> command, String readyWhen,
                       long drainTimeoutMillis, String containment, String cgroup, String containmentReason,
                       String stateDir, String logDir, String api) {
    }

    /** {@code version}. */
    public record Versions(String herd, String java, int protocol) {
    }

    /**
     * {@code ecv}: whether the machine is in load-balancer rotation, since when, and the service path GET /ecv also
     * asks ({@code --ecv-monitor}; null when none: then its answer follows from this and the ready workers alone).
     */
    public record EcvState(boolean enabled, String since, String monitor) {
    }

    /** {@code help}: one command. */
    public record CommandHelp(String name, String usage, String summary, String access, boolean readOnly) {
    }
}
