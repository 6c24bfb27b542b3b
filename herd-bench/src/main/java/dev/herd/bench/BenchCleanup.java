package dev.herd.bench;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What a benchmark started and must stop even when it is interrupted (SIGTERM, SIGINT, exit): a shutdown hook
 * stops wrk, lets the main thread stop the running system in its own finally block (at most 90 s), then closes
 * whatever is still registered.
 */
final class BenchCleanup {
    private static final List<AutoCloseable> OPEN = new CopyOnWriteArrayList<>();
    private static volatile boolean stopping;
    private static volatile boolean exiting;
    private static volatile Thread mainThread;

    private BenchCleanup() {
    }

    /** Called once by the benchmark's main thread. */
    static void install(String hookName) {
        mainThread = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(BenchCleanup::onShutdown, hookName));
    }

    /** True once the benchmark was asked to stop: start nothing new. */
    static boolean stopping() {
        return stopping;
    }

    /** The main thread is about to exit on its own: the hook need not wait for it. */
    static void exiting() {
        exiting = true;
    }

    static void register(AutoCloseable started) {
        OPEN.add(started);
    }

    static void unregister(AutoCloseable stopped) {
        OPEN.remove(stopped);
    }

    private static void onShutdown() {
        stopping = true;
        Wrk.killAll();
        Thread main = mainThread;
        if (!exiting && main != null && main.isAlive() && main != Thread.currentThread()) {
            main.interrupt();
            try {
                main.join(90_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (AutoCloseable c : OPEN) {
            try {
                c.close();
            } catch (Exception e) {
                // best effort
            }
        }
        Wrk.killAll();
    }
}
