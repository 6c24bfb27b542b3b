package dev.herd.runtime;

import dev.herd.Event;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What the master tells systemd, from its events (pure logic; ServiceManagerTest runs it against a real socket). */
class ServiceNotifierTest {
    private static final Instant T = Instant.EPOCH;
    private final List<String> sent = new ArrayList<>();
    private final ServiceNotifier notifier = new ServiceNotifier(sent::add, () -> 5_000_000_000L, 2, Duration.ZERO);

    @Test
    void readyOnceEverySlotHasHadAReadyWorkerAndNeverAgainForStartUp() {
        notifier.onEvent(new Event.WorkerReady(T, 0, 10, 1, Duration.ofMillis(5)));
        assertThat(sent).isEmpty();
        notifier.onEvent(new Event.WorkerReady(T, 0, 11, 1, Duration.ofMillis(5))); // slot 0 again: still one slot
        assertThat(sent).isEmpty();
        notifier.onEvent(new Event.WorkerReady(T, 1, 12, 1, Duration.ofMillis(5)));
        assertThat(sent).containsExactly("READY=1\nSTATUS=2 workers ready\nMAINPID=" + ProcessHandle.current().pid());
        notifier.onEvent(new Event.WorkerReady(T, 1, 13, 1, Duration.ofMillis(5)));
        assertThat(sent).hasSize(1);
    }

    @Test
    void aReloadIsReloadingWithTheMonotonicClockThenReadyAndARecycleIsNot() {
        notifier.onEvent(new Event.ReloadBegun(T, "recycle", 1, 1, 1, 1));
        notifier.onEvent(new Event.ReloadDone(T, "recycle", 1, 1, Duration.ofMillis(300)));
        assertThat(sent).isEmpty();
        notifier.onEvent(new Event.ReloadBegun(T, "reload", 2, 1, 2, 1));
        notifier.onEvent(new Event.ReloadDone(T, "reload", 2, 2, Duration.ofSeconds(1)));
        notifier.onEvent(new Event.ReloadBegun(T, "upgrade", 3, 2, 2, 1));
        notifier.onEvent(new Event.ReloadFailed(T, "upgrade", 3, "slot 0: exited", "rolled back", Duration.ofSeconds(1)));
        assertThat(sent).containsExactly(
                "RELOADING=1\nMONOTONIC_USEC=5000000\nSTATUS=reload to generation 2 under way",
                "READY=1\nSTATUS=2 workers, generation 2 (reload done)",
                "RELOADING=1\nMONOTONIC_USEC=5000000\nSTATUS=upgrade to generation 3 under way",
                "READY=1\nSTATUS=upgrade to generation 3 failed: slot 0: exited");
    }

    @Test
    void stoppingWhenTheShutdownBeginsAndAWatchdogPing() {
        notifier.onEvent(new Event.ShutdownBegun(T, false, Duration.ofSeconds(30)));
        notifier.ping();
        assertThat(sent).containsExactly("STOPPING=1\nSTATUS=draining", "WATCHDOG=1");
    }

    @Test
    void theWatchdogPeriodIsHalfOfWatchdogUsecForThisPidOnly() {
        assertThat(ServiceNotifier.watchdogPeriod(Map.of("WATCHDOG_USEC", "10000000"), 42)).isEqualTo(Duration.ofSeconds(5));
        assertThat(ServiceNotifier.watchdogPeriod(Map.of("WATCHDOG_USEC", "10000000", "WATCHDOG_PID", "42"), 42))
                .isEqualTo(Duration.ofSeconds(5));
        assertThat(ServiceNotifier.watchdogPeriod(Map.of("WATCHDOG_USEC", "10000000", "WATCHDOG_PID", "7"), 42)).isZero();
        assertThat(ServiceNotifier.watchdogPeriod(Map.of("WATCHDOG_USEC", "soon"), 42)).isZero();
        assertThat(ServiceNotifier.watchdogPeriod(Map.of(), 42)).isZero();
    }

    @Test
    void withoutANotifySocketThereIsNoNotifierAndAPathOrAnAbstractNameMakeOne() {
        assertThat(ServiceNotifier.fromEnvironment(Map.of(), 2)).isEmpty();
        assertThat(ServiceNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", ""), 2)).isEmpty();
        assertThat(ServiceNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", "@abstract"), 2)).isPresent();
        assertThat(ServiceNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", "/run/systemd/notify"), 2)).isPresent();
    }
}
