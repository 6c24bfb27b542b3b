package dev.herd.runtime;

import dev.herd.Event;
import dev.herd.EventListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The master as a systemd {@code Type=notify} service: what it tells the service manager on {@code NOTIFY_SOCKET}
 * (sd_notify's datagrams), from the master's events, on the supervisor's loop:
 * <ul>
 *   <li>{@code READY=1} once every slot has had a ready worker (start-up over), with {@code STATUS=};</li>
 *   <li>{@code RELOADING=1} and {@code MONOTONIC_USEC=} when a reload or upgrade begins, {@code READY=1} when it ends
 *       (done or failed; recycles and slot restarts are not the service reloading);</li>
 *   <li>{@code STOPPING=1} when the shutdown begins;</li>
 *   <li>{@code WATCHDOG=1} every half of {@code WATCHDOG_USEC}, when systemd set it for this process (its
 *       {@code WatchdogSec=}): from the loop, so a master whose loop hangs is restarted by systemd.</li>
 * </ul>
 * A datagram that cannot be sent is logged once and the master goes on ({@link NotifySender}).
 */
final class ServiceNotifier implements EventListener {
    private static final Logger log = LoggerFactory.getLogger(ServiceNotifier.class);

    private final Consumer<String> send;
    private final LongSupplier monotonicNanos;
    private final int workers;
    private final Duration watchdogPeriod;
    private final Set<Integer> ready = new HashSet<>();
    private boolean started;
    private boolean reloading;

    ServiceNotifier(Consumer<String> send, LongSupplier monotonicNanos, int workers, Duration watchdogPeriod) {
        this.send = send;
        this.monotonicNanos = monotonicNanos;
        this.workers = workers;
        this.watchdogPeriod = watchdogPeriod;
    }

    /**
     * The notifier for this master when systemd gave it a usable {@code NOTIFY_SOCKET} ({@link NotifySender}); its
     * watchdog when {@code WATCHDOG_USEC} is set for this pid.
     */
    static Optional<ServiceNotifier> fromEnvironment(Map<String, String> env, int workers) {
        return NotifySender.fromEnvironment(env).map(sender -> new ServiceNotifier(sender::send, System::nanoTime,
                workers, watchdogPeriod(env, ProcessHandle.current().pid())));
    }

    /** Half of {@code WATCHDOG_USEC} when it is set for {@code pid} (no {@code WATCHDOG_PID}, or this one), else zero. */
    static Duration watchdogPeriod(Map<String, String> env, long pid) {
        String usec = env.get("WATCHDOG_USEC");
        String forPid = env.get("WATCHDOG_PID");
        if (usec == null || usec.isBlank() || forPid != null && !forPid.isBlank() && !forPid.trim().equals(Long.toString(pid))) {
            return Duration.ZERO;
        }
        try {
            long micros = Long.parseLong(usec.trim());
            return micros <= 0 ? Duration.ZERO : Duration.ofNanos(micros * 1000 / 2);
        } catch (NumberFormatException e) {
            log.warn("event=notify.bad_watchdog WATCHDOG_USEC={} effect=\"no watchdog pings\"", usec);
            return Duration.ZERO;
        }
    }

    /** How often to ping the watchdog; zero for never. */
    Duration watchdogPeriod() {
        return watchdogPeriod;
    }

    /** One watchdog ping (from the loop's timer). */
    void ping() {
        send.accept("WATCHDOG=1");
    }

    @Override
    public void onEvent(Event event) {
        switch (event) {
            case Event.WorkerReady r -> ready(r.slot());
            case Event.WorkerAdopted a when a.ready() -> ready(a.slot());
            case Event.ReloadBegun b when isReload(b.kind()) -> {
                reloading = true;
                send.accept("RELOADING=1\nMONOTONIC_USEC=" + monotonicNanos.getAsLong() / 1000
                        + "\nSTATUS=" + b.kind() + " to generation " + b.generation() + " under way");
            }
            case Event.ReloadDone d when reloading && isReload(d.kind()) -> {
                reloading = false;
                send.accept("READY=1\nSTATUS=" + workers + " workers, generation " + d.generation() + " (" + d.kind()
                        + " done)");
            }
            case Event.ReloadFailed f when reloading && isReload(f.kind()) -> {
                reloading = false;
                send.accept("READY=1\nSTATUS=" + f.kind() + " to generation " + f.generation() + " failed: " + f.reason());
            }
            case Event.ShutdownBegun s -> send.accept("STOPPING=1\nSTATUS=" + (s.hard() ? "stopping" : "draining"));
            default -> { }
        }
    }

    private void ready(int slot) {
        if (started) {
            return;
        }
        ready.add(slot);
        if (ready.size() >= workers) {
            started = true;
            send.accept("READY=1\nSTATUS=" + workers + " workers ready\nMAINPID=" + ProcessHandle.current().pid());
        }
    }

    private static boolean isReload(String kind) {
        return kind.equals("reload") || kind.equals("upgrade");
    }
}
