package dev.herd.runtime;

import dev.herd.os.JdkSignals;
import dev.herd.os.Signal;
import dev.herd.os.SignalFd;

import java.util.List;
import java.util.function.Consumer;

/**
 * Turns the master's POSIX signals into supervisor messages; all decisions stay on the supervisor thread.
 *
 * <p>When the master was started with these signals blocked and -Xrs (bin/herd does both), they are read from a
 * signalfd that the {@link WorkerWatch} thread, running since the launcher was made, polls beside the workers'
 * descriptors: taking a signal then needs no new thread (nor a thread of its own), so SIGTERM still stops a master
 * whose user is at its process limit. Otherwise (library mode in a plain JVM) sun.misc.Signal, whose dispatcher
 * starts a thread per signal and drops the signal when it cannot.
 */
final class SignalBridge {
    static final List<Signal> HANDLED = List.of(Signal.TERM, Signal.INT, Signal.HUP, Signal.USR2, Signal.USR1);

    private SignalBridge() {
    }

    /**
     * Returns how signals are taken: {@code signalfd} (read by the launcher's watch thread, which owns the
     * descriptor from now on) or {@code jdk}. The sink runs on that thread and must only post the signal.
     */
    static String install(Consumer<Signal> sink, OsWorkerLauncher launcher) {
        if (SignalFd.blockedInThisThread(HANDLED)) {
            launcher.takeSignals(SignalFd.open(HANDLED), sink);
            return "signalfd";
        }
        for (Signal signal : HANDLED) {
            JdkSignals.handle(signal.name(), () -> sink.accept(signal));
        }
        return "jdk";
    }
}
