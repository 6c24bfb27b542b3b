package dev.herd.examples.demo;

import java.util.concurrent.locks.ReentrantLock;

/**
 * What the demo's heartbeats stand for: its accept loop can still make progress. The loop passes a checkpoint
 * before each accept and the heartbeat thread passes the same one before each heartbeat, so a worker stuck
 * there (the {@code /hang} test hook holds it forever, like a deadlock) stops both accepting and heartbeating,
 * and the master's watchdog replaces it.
 */
final class Liveness {
    /** Enables {@code GET /hang}; never set in production. */
    static final String TEST_HOOKS_ENV = "HERD_DEMO_TEST_HOOKS";

    private final ReentrantLock lock = new ReentrantLock();

    void checkpoint() {
        lock.lock();
        lock.unlock();
    }

    /** Simulates a deadlock: takes the checkpoint and never gives it back. */
    void hang() {
        lock.lock();
    }

    static boolean testHooksEnabled() {
        return "1".equals(System.getenv(TEST_HOOKS_ENV));
    }
}
