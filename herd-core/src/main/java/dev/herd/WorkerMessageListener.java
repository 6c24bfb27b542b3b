package dev.herd;

/** Receives the messages workers send ({@code Worker.current().send(payload)}), on a thread of the master's. */
@FunctionalInterface
public interface WorkerMessageListener {
    void onMessage(int slot, long pid, String payload);
}
