package dev.herd.os;

/**
 * The master's downcall handles, made ahead of their first use. Making one costs milliseconds of CPU (the JDK spins a
 * stub class for each function shape, and an AOT cache cannot keep them), about 90 ms for all of them; made on a
 * second core while the command line is parsed, they are ready when the master claims its state directory, binds and
 * spawns (docs/benchmarks.md, "Master footprint").
 */
public final class NativeLinks {
    private NativeLinks() {
    }

    /** Makes every handle of the C library calls and of the signalfd. Throws what making one throws. */
    public static void prepare() {
        Libc.prepareAll();
        try {
            java.lang.invoke.MethodHandles.lookup().ensureInitialized(SignalFd.class);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot initialise SignalFd", e);
        }
    }
}
