package dev.herd.command;

/**
 * How the workers are contained, for {@code herd info}: {@code cgroup} and the subtree, or {@code process-group}
 * and why not a cgroup.
 */
public record Containment(String mode, String cgroup, String reason) {
    public static Containment processGroup(String reason) {
        return new Containment("process-group", null, reason);
    }
}
