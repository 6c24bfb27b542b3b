package dev.herd.supervisor;

import dev.herd.ClusterSpec;
import dev.herd.Event;
import dev.herd.EventListener;
import dev.herd.listen.Listeners;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * What every part of the loop shares: the settings, the clocks, the timers, the door to the OS, the listening
 * sockets and the event listeners. The clocks are injected so that tests step a fake one.
 */
final class LoopContext {
    private static final Logger log = LoggerFactory.getLogger(LoopContext.class);

    private final ClusterSpec spec;
    private final WorkerLauncher launcher;
    private final Listeners listeners;
    private final List<EventListener> eventListeners;
    private final LongSupplier nanoClock;
    private final InstantSource wallClock;
    private final Timers timers = new Timers();

    LoopContext(ClusterSpec spec, WorkerLauncher launcher, Listeners listeners, List<EventListener> eventListeners,
                LongSupplier nanoClock, InstantSource wallClock) {
        this.spec = spec;
        this.launcher = launcher;
        this.listeners = listeners;
        this.eventListeners = List.copyOf(eventListeners);
        this.nanoClock = nanoClock;
        this.wallClock = wallClock;
    }

    ClusterSpec spec() {
        return spec;
    }

    WorkerLauncher launcher() {
        return launcher;
    }

    Listeners listeners() {
        return listeners;
    }

    Timers timers() {
        return timers;
    }

    /** Monotonic nanoseconds. */
    long now() {
        return nanoClock.getAsLong();
    }

    Instant instant() {
        return wallClock.instant();
    }

    /** Runs {@code action} on the loop once {@code delayNanos} have passed. */
    void after(long delayNanos, Runnable action) {
        timers.at(now() + delayNanos, action);
    }

    /** Hands the event to every listener; a failing listener is logged, never stops the loop or the others. */
    void emit(Event event) {
        for (EventListener listener : eventListeners) {
            try {
                listener.onEvent(event);
            } catch (RuntimeException e) {
                log.error("event=listener.error listener={} error=\"{}\"", listener.getClass().getName(), e.toString());
            }
        }
    }
}
