package dev.herd;

import java.util.function.Consumer;

/**
 * Work a worker delegates to the master (cluster2's delegates; {@code Worker.current().ask(kind, payload,
 * timeout)}): done once in the master instead of in every worker. Registered per kind in library mode.
 */
@FunctionalInterface
public interface Delegate {
    /**
     * Answers one ask. Runs on a virtual thread of its own, never the supervisor's: it may block (the worker's
     * timeout bounds how long the worker waits), and must be thread-safe.
     *
     * @param slot    the asking worker's slot
     * @param payload what it sent (text; JSON or whatever the two sides agree on)
     * @param notify  pushes a later change to that worker ({@code Worker.onNotification(kind, ...)}); usable after
     *                this returns, as long as the worker lives
     * @return the answer's payload
     * @throws Exception the worker's ask fails with its message
     */
    String answer(int slot, String payload, Consumer<String> notify) throws Exception;
}
