package dev.herd.runtime;

import dev.herd.control.ControlJson;
import dev.herd.os.NativeLinks;

import java.util.Map;

/**
 * Does the master's slowest one-off start-up work on a second core while the main thread parses the command line:
 * the native downcall handles and the JSON library's first use. Neither depends on the settings, and the main thread
 * would do both itself a moment later (a class is initialised once, and a thread that needs one while this one is at
 * it waits for it), so this changes when the work is done, never what is done. The thread ends when it is through.
 */
public final class StartupWarmup {
    private StartupWarmup() {
    }

    /** Starts the warm-up thread; without a thread to spare, the main thread does the work on first use as before. */
    public static void begin() {
        try {
            Thread.ofPlatform().daemon().name("herd-warmup").start(StartupWarmup::warm);
        } catch (RuntimeException | OutOfMemoryError e) {
            // at the process limit: nothing is lost but time
        }
    }

    private static void warm() {
        try {
            NativeLinks.prepare();
            ControlJson.parse(ControlJson.write(Map.of("warm", 1)));
        } catch (RuntimeException | LinkageError e) {
            // the main thread meets the same failure where it needs the class, and reports it there
        }
    }
}
