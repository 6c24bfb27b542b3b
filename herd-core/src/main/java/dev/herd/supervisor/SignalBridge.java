package dev.herd.supervisor;

import dev.herd.os.Signal;

import java.util.List;
import java.util.function.Consumer;

/**
 * Turns the master's POSIX signals into supervisor messages. sun.misc.Signal is the JDK's only way to catch
 * them; its handler runs on a JVM thread and only posts, so all decisions stay on the supervisor thread.
 */
final class SignalBridge {
    static final List<Signal> HANDLED = List.of(Signal.TERM, Signal.INT, Signal.HUP, Signal.USR2, Signal.USR1);

    private SignalBridge() {
    }

    static void install(Consumer<Signal> sink) {
        for (Signal signal : HANDLED) {
            sun.misc.Signal.handle(new sun.misc.Signal(signal.name()), caught -> sink.accept(signal));
        }
    }
}
