package dev.herd.runtime;

import dev.herd.os.JdkSignals;
import dev.herd.os.Signal;
import dev.herd.os.SignalFd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.Consumer;

/**
 * Turns the master's POSIX signals into supervisor messages; all decisions stay on the supervisor thread.
 *
 * <p>When the master was started with these signals blocked and -Xrs (bin/herd does both), one platform thread
 * started now reads them from a signalfd: taking a signal then needs no new thread, so SIGTERM still stops a
 * master whose user is at its process limit. Otherwise (library mode in a plain JVM) sun.misc.Signal, whose
 * dispatcher starts a thread per signal and drops the signal when it cannot.
 */
final class SignalBridge {
    private static final Logger log = LoggerFactory.getLogger(SignalBridge.class);
    static final List<Signal> HANDLED = List.of(Signal.TERM, Signal.INT, Signal.HUP, Signal.USR2, Signal.USR1);

    private SignalBridge() {
    }

    /** Returns how signals are taken: {@code signalfd} or {@code jdk}. */
    static String install(Consumer<Signal> sink) {
        if (SignalFd.blockedInThisThread(HANDLED)) {
            SignalFd signals = SignalFd.open(HANDLED);
            Thread.ofPlatform().daemon().name("herd-signals").start(() -> {
                while (true) {
                    try {
                        sink.accept(signals.take());
                    } catch (RuntimeException e) {
                        log.error("event=signal.error error=\"{}\"", e.getMessage());
                        return;
                    }
                }
            });
            return "signalfd";
        }
        for (Signal signal : HANDLED) {
            JdkSignals.handle(signal.name(), () -> sink.accept(signal));
        }
        return "jdk";
    }
}
