package dev.herd.command;

import java.util.List;

/**
 * How a reload, upgrade or rollback ended.
 *
 * @param kind       reload, upgrade or rollback
 * @param ok         every slot was replaced
 * @param generation the generation rolled out
 * @param reason     why it failed, or null
 * @param rolledBack an upgrade failed and the previous generation was restored
 * @param replaced   slots now running the new generation
 */
public record RolloutResult(String kind, boolean ok, int generation, String reason, boolean rolledBack,
                            List<Integer> replaced, long durationMillis) {
}
