package dev.herd.supervisor;

import dev.herd.command.ClusterStatus;
import dev.herd.command.ControlCommand;
import dev.herd.command.RolloutResult;

import dev.herd.ClusterSpec;
import dev.herd.Event;
import dev.herd.ReadyWhen;
import dev.herd.os.ExitStatus;
import dev.herd.os.Signal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The loop's decisions, with a launcher that starts no processes: exits and readiness are simulated. */
class SupervisorTest {

    /** Records what the supervisor asked for; a test decides when "processes" exit or become accepting. */
    static final class FakeLauncher implements WorkerLauncher {
        final AtomicLong nextPid = new AtomicLong(1000);
        final List<Plan> launched = new CopyOnWriteArrayList<>();
        final Map<Long, Callbacks> callbacks = new ConcurrentHashMap<>();
        final List<String> signals = new CopyOnWriteArrayList<>();
        final Map<Long, Boolean> accepting = new ConcurrentHashMap<>();
        volatile boolean exitOnTerm = true;

        @Override
        public long launch(Plan plan, Callbacks cb) {
            long pid = nextPid.incrementAndGet();
            launched.add(plan);
            callbacks.put(pid, cb);
            return pid;
        }

        @Override
        public boolean signal(long pid, Signal signal) {
            signals.add(pid + ":" + signal.name());
            Callbacks cb = callbacks.remove(pid);
            if (cb != null && (signal == Signal.KILL || (signal == Signal.TERM && exitOnTerm))) {
                cb.exited(pid, new ExitStatus(0, signal == Signal.KILL ? 9 : 0));
            } else if (cb != null) {
                callbacks.put(pid, cb);
            }
            return cb != null;
        }

        @Override
        public void killLeftovers(long pid) {
            signals.add(pid + ":leftovers");
        }

        @Override
        public String deprioritise(long pid, int nice) {
            signals.add(pid + ":deprioritise");
            return "test";
        }

        @Override
        public boolean holdsSocket(long pid) {
            return false;
        }

        @Override
        public boolean isAccepting(long pid) {
            return accepting.getOrDefault(pid, false);
        }

        @Override
        public void release(long pid) {
        }

        void crash(long pid, int code) {
            callbacks.remove(pid).exited(pid, new ExitStatus(code, 0));
        }
    }

    /** Records what the supervisor tells the listening sockets. */
    final class FakeListeners implements dev.herd.listen.Listeners {
        @Override
        public dev.herd.os.ListenSocket socketFor(int slot) {
            throw new UnsupportedOperationException("the fake launcher spawns nothing");
        }

        @Override
        public java.net.InetSocketAddress address() {
            return new java.net.InetSocketAddress("127.0.0.1", 9999);
        }

        @Override
        public void servingChanged(List<dev.herd.listen.ServingWorker> now) {
            boolean[] bySlot = new boolean[slots];
            now.forEach(w -> bySlot[w.slot()] = true);
            servingUpdates.add(java.util.Arrays.toString(bySlot));
        }

        @Override
        public void close() {
            listenerClosed.set(true);
        }
    }

    private final List<String> servingUpdates = new CopyOnWriteArrayList<>();
    private int slots;
    private final FakeLauncher launcher = new FakeLauncher();
    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final AtomicBoolean listenerClosed = new AtomicBoolean();
    private Supervisor supervisor;
    private CompletableFuture<Integer> exit;

    private void start(ClusterSpec.Builder spec) {
        ClusterSpec built = spec.command(List.of("/bin/true")).stateDir(Path.of("/tmp/herd-unit")).build();
        slots = built.workers();
        supervisor = new Supervisor(spec.command(List.of("/bin/true")).stateDir(Path.of("/tmp/herd-unit")).build(),
                9999, Map.of("PATH", "/bin"), launcher, new FakeListeners(),
                List.of(events::add), System::nanoTime, InstantSource.system());
        exit = CompletableFuture.supplyAsync(supervisor::run, r -> Thread.ofPlatform().daemon().start(r));
    }

    @AfterEach
    void stop() {
        if (exit != null && !exit.isDone()) {
            supervisor.post(new Supervisor.SignalArrived(Signal.INT));
            supervisor.post(new Supervisor.SignalArrived(Signal.INT));
        }
    }

    private <T extends Event> List<T> events(Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Test
    void listeningReadinessComesFromTheLauncherAndSlotsGetTheirIdentity() {
        start(ClusterSpec.builder().workers(3).readyWhen(ReadyWhen.LISTENING));
        await().atMost(Duration.ofSeconds(5)).until(() -> launcher.launched.size() == 3);
        assertThat(launcher.launched).extracting(p -> p.env().get("HERD_WORKER_ID")).containsExactly("0", "1", "2");
        assertThat(events(Event.WorkerReady.class)).isEmpty();
        launcher.accepting.put(1001L, true);
        await().atMost(Duration.ofSeconds(5)).until(() -> events(Event.WorkerReady.class).size() == 1);
        assertThat(events(Event.WorkerReady.class).getFirst().slot()).isZero();
    }

    @Test
    void crashRespawnsIntoTheSameSlotWithTheSameGeneration() {
        start(ClusterSpec.builder().workers(2).readyWhen(ReadyWhen.STARTED).restartDelay(Duration.ofMillis(10)));
        await().atMost(Duration.ofSeconds(5)).until(() -> events(Event.WorkerReady.class).size() == 2);
        launcher.crash(1002, 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> launcher.launched.size() == 3);
        WorkerLauncher.Plan replacement = launcher.launched.get(2);
        assertThat(replacement.slot()).isEqualTo(1);
        assertThat(replacement.generation()).isEqualTo(1);
        assertThat(events(Event.WorkerExited.class).getFirst().reason()).isEqualTo(Event.ExitReason.CRASH);
        // the listeners hear of slot 1 going away and coming back (what sticky sessions steer by)
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(servingUpdates).containsSubsequence("[true, true]", "[true, false]", "[true, true]"));
    }

    @Test
    void slotOverItsBudgetFailsAndTheOthersStay() {
        start(ClusterSpec.builder().workers(2).readyWhen(ReadyWhen.STARTED).restartDelay(Duration.ZERO)
                .maxRestartsPerMinute(2));
        await().atMost(Duration.ofSeconds(5)).until(() -> launcher.launched.size() == 2);
        for (int attempt = 0; attempt < 3; attempt++) {
            int launchedBefore = launcher.launched.size();
            launcher.crash(launcher.nextPid.get(), 3); // only slot 1 crashes, so the newest pid is always its worker
            if (attempt < 2) {
                await().atMost(Duration.ofSeconds(5)).until(() -> launcher.launched.size() == launchedBefore + 1);
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> !events(Event.SlotFailed.class).isEmpty());
        assertThat(events(Event.SlotFailed.class).getFirst().slot()).isEqualTo(1);
        assertThat(exit).isNotDone();
        assertThat(launcher.launched).hasSize(4);
    }

    @Test
    void failedStartsInARowFailTheSlotAndAReadyWorkerEndsTheStreak() {
        start(ClusterSpec.builder().workers(1).readyWhen(ReadyWhen.LISTENING).restartDelay(Duration.ZERO)
                .maxFailedStarts(3));
        await().atMost(Duration.ofSeconds(5)).until(() -> launcher.launched.size() == 1);
        launcher.crash(1001, 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> launcher.launched.size() == 2);
        launcher.crash(1002, 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> launcher.launched.size() == 3);
        launcher.accepting.put(1003L, true);
        await().atMost(Duration.ofSeconds(5)).until(() -> events(Event.WorkerReady.class).size() == 1);
        launcher.crash(1003, 1); // it had served: no failed start, and the two before are forgiven
        for (long pid = 1004; pid <= 1005; pid++) {
            long expected = pid - 1000 + 1;
            await().atMost(Duration.ofSeconds(5)).until(() -> launcher.launched.size() == expected - 1);
            launcher.crash(pid, 1);
        }
        assertThat(exit).isNotDone();
        await().atMost(Duration.ofSeconds(5)).until(() -> launcher.launched.size() == 6);
        launcher.crash(1006, 1);
        assertThat(exit.orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).join()).isEqualTo(Supervisor.EXIT_ALL_SLOTS_FAILED);
        Event.SlotFailed failed = events(Event.SlotFailed.class).getFirst();
        assertThat(failed.budget()).isEqualTo("max-failed-starts");
        assertThat(failed.failedStarts()).isEqualTo(3);
        assertThat(failed.limit()).isEqualTo(3);
        assertThat(failed.recentExits()).isEqualTo(6);
        assertThat(events(Event.RestartScheduled.class)).extracting(Event.RestartScheduled::failedStarts)
                .containsExactly(1, 2, 0, 1, 2);
        assertThat(events(Event.ClusterStopped.class).getFirst().lastFailure())
                .isEqualTo("slot 0 gave up after 3 failed starts in a row (--max-failed-starts 3); its last worker: "
                        + "exit code 1 before it was ready");
    }

    @Test
    void startTimeoutKillsAndCountsAsAFailedStart() {
        start(ClusterSpec.builder().workers(1).readyWhen(ReadyWhen.NOTIFY).startTimeout(Duration.ofMillis(100))
                .restartDelay(Duration.ofSeconds(10)));
        // the exit and the restart it schedules are two events of one message: wait for the second
        await().atMost(Duration.ofSeconds(5)).until(() -> !events(Event.RestartScheduled.class).isEmpty());
        assertThat(launcher.signals).containsExactly("1001:KILL", "1001:leftovers");
        assertThat(events(Event.WorkerExited.class).getFirst().reason()).isEqualTo(Event.ExitReason.START_TIMEOUT);
        assertThat(events(Event.RestartScheduled.class)).hasSize(1);
    }

    @Test
    void notifyReadyMarksReadyAndStatusIsAnEvent() {
        start(ClusterSpec.builder().workers(1).readyWhen(ReadyWhen.NOTIFY));
        await().atMost(Duration.ofSeconds(5)).until(() -> launcher.callbacks.containsKey(1001L));
        launcher.callbacks.get(1001L).notified(1001, "STATUS=loading");
        launcher.callbacks.get(1001L).notified(1001, "READY=1\nSTATUS=serving");
        await().atMost(Duration.ofSeconds(5)).until(() -> events(Event.WorkerReady.class).size() == 1);
        assertThat(events(Event.WorkerStatus.class)).extracting(Event.WorkerStatus::status)
                .containsExactly("loading", "serving");
        launcher.callbacks.get(1001L).notified(1001, "STOPPING=1");
        await().atMost(Duration.ofSeconds(5)).until(() -> events(Event.WorkerStopping.class).size() == 1);
    }

    @Test
    void sigtermDrainsClosesTheListenerAndExitsZero() throws Exception {
        start(ClusterSpec.builder().workers(2).readyWhen(ReadyWhen.STARTED));
        await().atMost(Duration.ofSeconds(5)).until(() -> events(Event.WorkerReady.class).size() == 2);
        supervisor.post(new Supervisor.SignalArrived(Signal.TERM));
        assertThat(exit.get(5, java.util.concurrent.TimeUnit.SECONDS)).isZero();
        assertThat(listenerClosed).isTrue();
        assertThat(launcher.signals).contains("1001:TERM", "1002:TERM");
        assertThat(events(Event.WorkerExited.class)).extracting(Event.WorkerExited::reason)
                .containsOnly(Event.ExitReason.STOPPED);
    }

    @Test
    void drainTimeoutKillsStragglersAndSecondSigintStopsHard() throws Exception {
        launcher.exitOnTerm = false;
        start(ClusterSpec.builder().workers(1).readyWhen(ReadyWhen.STARTED).drainTimeout(Duration.ofMillis(100)));
        await().atMost(Duration.ofSeconds(5)).until(() -> events(Event.WorkerReady.class).size() == 1);
        supervisor.post(new Supervisor.SignalArrived(Signal.TERM));
        assertThat(exit.get(5, java.util.concurrent.TimeUnit.SECONDS)).isZero();
        assertThat(launcher.signals).containsExactly("1001:TERM", "1001:KILL", "1001:leftovers");
        assertThat(events(Event.WorkerExited.class).getFirst().reason()).isEqualTo(Event.ExitReason.KILLED);
    }

    @Test
    void secondSigintIsAHardStop() throws Exception {
        launcher.exitOnTerm = false;
        start(ClusterSpec.builder().workers(1).readyWhen(ReadyWhen.STARTED));
        await().atMost(Duration.ofSeconds(5)).until(() -> events(Event.WorkerReady.class).size() == 1);
        supervisor.post(new Supervisor.SignalArrived(Signal.INT));
        supervisor.post(new Supervisor.SignalArrived(Signal.INT));
        assertThat(exit.get(5, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(Supervisor.EXIT_HARD_STOP);
    }

    private <R> R command(ControlCommand<R> command) throws Exception {
        return supervisor.submit(command).get(10, java.util.concurrent.TimeUnit.SECONDS);
    }

    @Test
    void reloadReplacesEverySlotWithANewGenerationAndRetiresTheOldWorkers() throws Exception {
        start(ClusterSpec.builder().workers(2).readyWhen(ReadyWhen.STARTED));
        await().atMost(Duration.ofSeconds(5)).until(() -> events(Event.WorkerReady.class).size() == 2);
        RolloutResult result = command(new ControlCommand.Reload());
        assertThat(result.ok()).isTrue();
        assertThat(result.generation()).isEqualTo(2);
        assertThat(result.replaced()).containsExactly(0, 1);
        assertThat(launcher.launched).extracting(WorkerLauncher.Plan::generation).containsExactly(1, 1, 2, 2);
        assertThat(launcher.signals).contains("1001:TERM", "1002:TERM", "1001:deprioritise", "1002:deprioritise");
        assertThat(events(Event.SlotReplaced.class)).extracting(Event.SlotReplaced::oldPid).containsExactly(1001L, 1002L);
        ClusterStatus status = command(new ControlCommand.Status());
        assertThat(status.generation()).isEqualTo(2);
        assertThat(status.workers()).filteredOn(w -> !w.retired()).extracting(ClusterStatus.WorkerInfo::generation)
                .containsOnly(2);
    }

    @Test
    void upgradeWhoseCanaryCrashesIsRolledBackWithoutTouchingTheOldWorkers() throws Exception {
        start(ClusterSpec.builder().workers(2).readyWhen(ReadyWhen.STARTED).canaryPeriod(Duration.ofSeconds(30)));
        await().atMost(Duration.ofSeconds(5)).until(() -> events(Event.WorkerReady.class).size() == 2);
        var reply = supervisor.submit(new ControlCommand.Upgrade(List.of("/bin/sh"), Map.of("V", "2")));
        await().atMost(Duration.ofSeconds(5)).until(() -> events(Event.CanaryWatching.class).size() == 1);
        assertThat(launcher.launched.get(2).env()).containsEntry("V", "2");
        launcher.crash(1003, 1);
        RolloutResult result = reply.get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(result.ok()).isFalse();
        assertThat(result.rolledBack()).isTrue();
        assertThat(result.reason()).contains("while watched as the canary");
        assertThat(launcher.signals).doesNotContain("1001:TERM", "1002:TERM");
        ClusterStatus status = command(new ControlCommand.Status());
        assertThat(status.generation()).isEqualTo(1);
    }

    @Test
    void anUpgradeDuringARolloutIsRefusedAndReloadsQueueOnce() throws Exception {
        start(ClusterSpec.builder().workers(1).readyWhen(ReadyWhen.NOTIFY));
        await().atMost(Duration.ofSeconds(5)).until(() -> launcher.callbacks.containsKey(1001L));
        launcher.callbacks.get(1001L).notified(1001, "READY=1");
        var first = supervisor.submit(new ControlCommand.Reload());
        await().atMost(Duration.ofSeconds(5)).until(() -> launcher.launched.size() == 2);
        var second = supervisor.submit(new ControlCommand.Reload());
        var third = supervisor.submit(new ControlCommand.Reload());
        var upgrade = supervisor.submit(new ControlCommand.Upgrade(List.of("/bin/sh"), Map.of()));
        assertThat(upgrade).failsWithin(Duration.ofSeconds(5)).withThrowableThat()
                .withMessageContaining("is in progress; upgrade again when it has finished");
        launcher.callbacks.get(1002L).notified(1002, "READY=1");
        assertThat((first.get(5, java.util.concurrent.TimeUnit.SECONDS)).generation()).isEqualTo(2);
        await().atMost(Duration.ofSeconds(5)).until(() -> launcher.launched.size() == 3);
        launcher.callbacks.get(1003L).notified(1003, "READY=1");
        assertThat((second.get(5, java.util.concurrent.TimeUnit.SECONDS)).generation()).isEqualTo(3);
        assertThat((third.get(5, java.util.concurrent.TimeUnit.SECONDS)).generation()).isEqualTo(3);
        assertThat(launcher.launched).hasSize(3);
    }
}
