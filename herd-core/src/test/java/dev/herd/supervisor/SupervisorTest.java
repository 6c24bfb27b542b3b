package dev.herd.supervisor;

import dev.herd.command.WorkerState;

import dev.herd.ClusterSpec;
import dev.herd.Recycling;
import dev.herd.Event;
import dev.herd.Event.ExitReason;
import dev.herd.ReadyWhen;
import dev.herd.command.ClusterStatus;
import dev.herd.command.ControlCommand;
import dev.herd.command.RolloutResult;
import dev.herd.listen.Listeners;
import dev.herd.listen.ServingWorker;
import dev.herd.os.ExitStatus;
import dev.herd.os.ListenSocket;
import dev.herd.os.Signal;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The loop's decisions, stepped on a fake clock with a launcher that starts no processes: the test decides when
 * "processes" exit, become ready or let go of the socket, and when time passes. Nothing sleeps or polls.
 */
class SupervisorTest {

    /** Records what the supervisor asked for; exits it decides are posted back as a real launcher's thread would. */
    static final class FakeLauncher implements WorkerLauncher {
        long nextPid = 1000;
        final List<Plan> launched = new ArrayList<>();
        final Map<Long, Callbacks> live = new HashMap<>();
        final List<String> signals = new ArrayList<>();
        final List<String> sent = new ArrayList<>();
        final Set<Long> accepting = new HashSet<>();
        /** Old workers that still hold the listening socket (a rollout waits for them to let go). */
        final Set<Long> holdingSocket = new HashSet<>();
        /** Workers that ignore SIGTERM; {@link #exitOnTerm} does so for all. */
        final Set<Long> ignoringTerm = new HashSet<>();
        /** Workers a SIGKILL does not reap at once (stuck in the kernel). */
        final Set<Long> slowToDie = new HashSet<>();
        boolean exitOnTerm = true;
        int failingLaunches;

        @Override
        public long launch(Plan plan, Callbacks cb) {
            if (failingLaunches > 0) {
                failingLaunches--;
                throw new IllegalStateException("posix_spawn failed: EAGAIN");
            }
            long pid = ++nextPid;
            launched.add(plan);
            live.put(pid, cb);
            return pid;
        }

        @Override
        public boolean signal(long pid, Signal signal) {
            signals.add(pid + ":" + signal.name());
            if (!live.containsKey(pid)) {
                return false;
            }
            if (signal == Signal.KILL && !slowToDie.contains(pid)) {
                exit(pid, new ExitStatus(0, 9));
            } else if (signal == Signal.TERM && exitOnTerm && !ignoringTerm.contains(pid)) {
                exit(pid, new ExitStatus(0, 0));
            }
            return true;
        }

        void exit(long pid, ExitStatus status) {
            live.remove(pid).exited(pid, status);
        }

        void crash(long pid, int code) {
            exit(pid, new ExitStatus(code, 0));
        }

        void notify(long pid, String datagram) {
            live.get(pid).notified(pid, datagram);
        }

        /** Adopted workers that are still there (the others are gone when the supervisor looks). */
        final Set<Long> adoptable = new HashSet<>();
        final List<Long> adopted = new ArrayList<>();

        @Override
        public boolean adopt(AdoptedWorker worker, Callbacks cb) {
            if (!adoptable.contains(worker.pid())) {
                return false;
            }
            adopted.add(worker.pid());
            live.put(worker.pid(), cb);
            return true;
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
            return holdingSocket.contains(pid);
        }

        @Override
        public boolean isAccepting(long pid) {
            return accepting.contains(pid);
        }

        @Override
        public boolean send(long pid, String line) {
            sent.add(pid + ":" + line);
            return live.containsKey(pid);
        }

        @Override
        public void release(long pid) {
        }

        /** Resident memory by pid; {@link #residentOfNew} for any other. */
        final Map<Long, Long> resident = new HashMap<>();
        long residentOfNew;

        @Override
        public long residentBytes(long pid) {
            return resident.getOrDefault(pid, residentOfNew);
        }

        void overloaded(long pid, boolean overloaded) {
            live.get(pid).channelLine(pid, "{\"v\":1,\"type\":\"overload\",\"overloaded\":\"" + overloaded + "\"}");
        }

        void counters(long pid, long connections, long requests) {
            live.get(pid).channelLine(pid, "{\"type\":\"counters\",\"connections\":" + connections
                    + ",\"requests\":" + requests + "}");
        }

        List<Integer> generations() {
            return launched.stream().map(Plan::generation).toList();
        }
    }

    /** Records which slots the supervisor tells the listening sockets are served. */
    final class FakeListeners implements Listeners {
        @Override
        public ListenSocket socketFor(int slot) {
            throw new UnsupportedOperationException("the fake launcher spawns nothing");
        }

        @Override
        public InetSocketAddress address() {
            return new InetSocketAddress("127.0.0.1", 9999);
        }

        @Override
        public void servingChanged(List<ServingWorker> now) {
            boolean[] bySlot = new boolean[slots];
            now.forEach(w -> bySlot[w.slot()] = true);
            servingUpdates.add(Arrays.toString(bySlot));
        }

        @Override
        public void close() {
            listenerClosed = true;
        }
    }

    private final FakeLauncher launcher = new FakeLauncher();
    private final List<Event> events = new ArrayList<>();
    private final List<String> servingUpdates = new ArrayList<>();
    private boolean listenerClosed;
    private int slots;
    private long nanos = 1_000_000_000L;
    private Supervisor supervisor;
    private Integer exitCode;

    private void start(ClusterSpec.Builder spec) {
        start(spec, List.of());
    }

    /** Starts the loop, which first takes over {@code adopted} (an earlier master's workers). */
    private void start(ClusterSpec.Builder spec, List<AdoptedWorker> adopted) {
        start(spec, adopted, CarriedCounters.NONE);
    }

    /** Starts the loop, which takes over {@code adopted} from a master that handed over what it counted. */
    private void start(ClusterSpec.Builder spec, List<AdoptedWorker> adopted, CarriedCounters counters) {
        ClusterSpec built = spec.command(List.of("/bin/true")).stateDir(Path.of("/tmp/herd-unit")).build();
        slots = built.workers();
        supervisor = new Supervisor(built, 9999, Map.of("PATH", "/bin"), launcher, new FakeListeners(),
                List.of(events::add), () -> nanos, () -> Instant.EPOCH.plusNanos(nanos));
        if (!adopted.isEmpty()) {
            supervisor.adopt(adopted, "adoption", 77, 1, nanos, counters);
        }
        step();
    }

    private static AdoptedWorker adoptee(int slot, long pid, int generation, List<String> argv, boolean ready) {
        return new AdoptedWorker(slot, pid, 1, generation, argv, Map.of(), ready, Instant.EPOCH, 0, pid,
                Path.of("/tmp/herd-unit/notify/" + pid + ".sock"), Path.of("/tmp/herd-unit/notify/" + pid + ".chan"),
                null);
    }

    // ---- recycling (--max-memory, --max-requests, --max-uptime) ----

    private static final long MIB = 1024 * 1024;

    private static ClusterSpec.Builder recycling(int workers, Recycling recycling) {
        return ClusterSpec.builder().workers(workers).readyWhen(ReadyWhen.STARTED).recycling(recycling);
    }

    @Test
    void aWorkerOverTheMemoryLimitIsReplacedBeforeItIsStoppedAndNoCrashIsCounted() {
        start(recycling(2, Recycling.builder().maxMemory(100 * MIB).build()));
        launcher.resident.put(1001L, 150 * MIB);
        runFor(Duration.ofSeconds(1));
        assertThat(events(Event.WorkerRecycle.class)).singleElement().satisfies(e -> {
            assertThat(e.slot()).isZero();
            assertThat(e.pid()).isEqualTo(1001);
            assertThat(e.reason()).isEqualTo("memory");
            assertThat(e.value()).isEqualTo(150 * MIB);
            assertThat(e.limit()).isEqualTo(100 * MIB);
        });
        assertThat(events(Event.ReloadBegun.class)).singleElement().satisfies(e -> assertThat(e.kind()).isEqualTo("recycle"));
        assertThat(launcher.launched).extracting(WorkerLauncher.Plan::slot).containsExactly(0, 1, 0);
        assertThat(launcher.signals).contains("1001:TERM"); // once its replacement (1003) serves
        assertThat(events(Event.WorkerExited.class)).singleElement().satisfies(e -> {
            assertThat(e.pid()).isEqualTo(1001);
            assertThat(e.reason()).isEqualTo(Event.ExitReason.STOPPED);
        });
        assertThat(submit(new ControlCommand.Status()).join().workers()).extracting(ClusterStatus.WorkerInfo::restarts)
                .containsOnly(0);
        assertThat(launcher.signals).doesNotContain("1002:TERM");
    }

    @Test
    void overTheHardLimitAWorkerIsKilledAtOnceAndItsSlotRefilledAtOnce() {
        start(recycling(1, Recycling.builder().maxMemory(100 * MIB).maxMemoryHard(200 * MIB).build()));
        launcher.resident.put(1001L, 250 * MIB);
        runFor(Duration.ofMillis(300));
        assertThat(launcher.signals).contains("1001:KILL").doesNotContain("1001:TERM");
        assertThat(events(Event.WorkerRecycle.class)).singleElement()
                .satisfies(e -> assertThat(e.reason()).isEqualTo("memory_hard"));
        assertThat(events(Event.WorkerExited.class)).singleElement()
                .satisfies(e -> assertThat(e.reason()).isEqualTo(Event.ExitReason.RECYCLED));
        assertThat(events(Event.RestartScheduled.class)).as("no crash backoff").isEmpty();
        assertThat(launcher.launched).extracting(WorkerLauncher.Plan::slot).containsExactly(0, 0);
        assertThat(submit(new ControlCommand.Status()).join().workers()).extracting(ClusterStatus.WorkerInfo::restarts)
                .containsOnly(0);
    }

    @Test
    void freshWorkersOverTheLimitAreRecycledThreeTimesInARowThenOneIsLeftRunning() {
        start(recycling(1, Recycling.builder().maxMemory(100 * MIB).build()));
        launcher.residentOfNew = 150 * MIB; // the app needs more than the limit
        runFor(Duration.ofSeconds(5));
        assertThat(events(Event.WorkerRecycle.class)).hasSize(Recycler.FRESH_OVER_LIMIT_IN_A_ROW);
        assertThat(events(Event.WorkerRecycleFailed.class)).singleElement().satisfies(e -> {
            assertThat(e.pid()).isEqualTo(1004);
            assertThat(e.hint()).contains("raise --max-memory");
        });
        assertThat(launcher.launched).hasSize(4);
        // a worker that grows past the limit later is recycled again: the slot recovered
        launcher.residentOfNew = 50 * MIB;
        launcher.resident.put(1004L, 50 * MIB);
        submit(new ControlCommand.Reload());
        runFor(Duration.ofSeconds(1));
        long fresh = launcher.nextPid;
        launcher.resident.put(fresh, 150 * MIB);
        runFor(Duration.ofMillis(500));
        assertThat(events(Event.WorkerRecycle.class)).hasSize(Recycler.FRESH_OVER_LIMIT_IN_A_ROW + 1);
    }

    @Test
    void requestAndUptimeLimitsRecycleOneSlotAtATimeAndWaitForAReload() {
        start(recycling(2, Recycling.builder().maxRequests(1000).maxUptime(Duration.ofSeconds(60)).build()));
        launcher.counters(1001, 10, 1000);
        launcher.counters(1002, 10, 1500);
        runFor(Duration.ofSeconds(2));
        // --reload-batch 1: slot 0 first; slot 1 waits for it, and for the spacing of budget recycles
        List<Event.WorkerRecycle> recycles = events(Event.WorkerRecycle.class);
        assertThat(recycles).extracting(Event.WorkerRecycle::slot, Event.WorkerRecycle::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(0, "requests"),
                        org.assertj.core.groups.Tuple.tuple(1, "requests"));
        assertThat(Duration.between(recycles.get(0).at(), recycles.get(1).at())).isGreaterThanOrEqualTo(Recycler.SPACING);
        assertThat(recycles.get(1).waitedMs()).isGreaterThanOrEqualTo(Recycler.SPACING.toMillis() - Recycler.CHECK_INTERVAL.toMillis());
        assertThat(events(Event.ReloadBegun.class)).hasSize(2);
        assertThat(events(Event.ReloadDone.class)).hasSize(2);
        // a reload running: an uptime recycle waits for it, and a slot the reload replaced is not recycled after it
        launcher.holdingSocket.addAll(launcher.live.keySet()); // the reload's old workers let go only when told
        runFor(Duration.ofSeconds(57)); // t = 60 s: both new workers are short of their 60 s
        submit(new ControlCommand.Reload());
        runFor(Duration.ofSeconds(3)); // slot 1's worker passes 60 s while the reload waits on slot 0
        assertThat(events(Event.WorkerRecycle.class)).as("nothing during the reload").hasSize(2);
        launcher.holdingSocket.clear();
        runFor(Duration.ofSeconds(3));
        assertThat(events(Event.ReloadDone.class)).hasSize(3);
        assertThat(events(Event.WorkerRecycle.class)).as("the reload renewed both workers").hasSize(2);
    }



    @Test
    void aWorkerOverloadedWithoutABreakForTheLimitIsRecycled() {
        start(recycling(2, Recycling.builder().overloadRecycle(Duration.ofSeconds(5)).build()));
        launcher.overloaded(1001, true);
        runFor(Duration.ofSeconds(3));
        launcher.overloaded(1001, false); // a break: the clock starts again
        launcher.overloaded(1001, true);
        runFor(Duration.ofSeconds(4));
        assertThat(events(Event.WorkerRecycle.class)).isEmpty();
        runFor(Duration.ofMillis(1500));
        assertThat(events(Event.WorkerRecycle.class)).singleElement().satisfies(e -> {
            assertThat(e.pid()).isEqualTo(1001);
            assertThat(e.reason()).isEqualTo("overload");
            assertThat(e.limit()).isEqualTo(5000);
        });
        assertThat(launcher.launched.getLast().env()).containsEntry("HERD_OVERLOAD_RECYCLE_MS", "5000");
    }

    @Test
    void reloadAtReloadsTheClusterAtEachTimeOfItsSchedule() {
        start(recycling(2, Recycling.builder().reloadAt("* * * * *").build())); // every minute; the clock is at 1 s
        runFor(Duration.ofSeconds(58));
        assertThat(events(Event.ReloadBegun.class)).isEmpty();
        runFor(Duration.ofSeconds(2));
        assertThat(events(Event.ReloadBegun.class)).singleElement().satisfies(e -> assertThat(e.kind()).isEqualTo("reload"));
        runFor(Duration.ofSeconds(60));
        assertThat(events(Event.ReloadBegun.class)).hasSize(2);
        assertThat(events(Event.ReloadDone.class)).hasSize(2);
    }

    @Test
    void overTheClustersHighMarkTheLargestWorkersAreRecycledOneAtATimeUntilUnderTheLowMark() {
        start(recycling(3, Recycling.builder().clusterMemoryHigh(300 * MIB).clusterMemoryLow(200 * MIB).build()));
        launcher.resident.putAll(Map.of(1001L, 80 * MIB, 1002L, 90 * MIB, 1003L, 150 * MIB));
        launcher.residentOfNew = 40 * MIB;
        runFor(Duration.ofSeconds(5));
        assertThat(events(Event.ClusterMemoryHigh.class)).extracting(Event.ClusterMemoryHigh::action,
                        Event.ClusterMemoryHigh::pid, Event.ClusterMemoryHigh::total)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("recycle", 1003L, 320 * MIB),
                        org.assertj.core.groups.Tuple.tuple("recycle", 1002L, 210 * MIB)); // 160 MiB: under the low mark
        assertThat(events(Event.WorkerRecycle.class)).extracting(Event.WorkerRecycle::pid, Event.WorkerRecycle::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1003L, "cluster_memory"),
                        org.assertj.core.groups.Tuple.tuple(1002L, "cluster_memory"));
    }

    @Test
    void overTheClustersHighMarkRetiredWorkersAreKilledFirst() {
        start(recycling(2, Recycling.builder().clusterMemoryHigh(300 * MIB).build()));
        launcher.exitOnTerm = false; // the old workers of the reload keep draining
        submit(new ControlCommand.Reload());
        runFor(Duration.ofSeconds(1));
        assertThat(launcher.signals).contains("1001:TERM", "1002:TERM");
        launcher.resident.putAll(Map.of(1001L, 120 * MIB, 1002L, 100 * MIB));
        launcher.residentOfNew = 50 * MIB; // 320 MiB in all, the low mark 270
        runFor(Duration.ofSeconds(2));
        assertThat(events(Event.ClusterMemoryHigh.class)).extracting(Event.ClusterMemoryHigh::action,
                        Event.ClusterMemoryHigh::pid)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("kill-retired", 1001L)); // 200 MiB left
        assertThat(launcher.signals).contains("1001:KILL").doesNotContain("1002:KILL");
        assertThat(events(Event.WorkerRecycle.class)).as("the serving workers stay").isEmpty();
    }

    // ---- adoption of an earlier master's workers ----

    @Test
    void adoptedWorkersRunningTheSameCommandAreKeptAsTheyAreAndAGoneOnesSlotGetsANewWorker() {
        List<String> same = List.of("/bin/true");
        launcher.adoptable.addAll(List.of(500L, 501L)); // 502 is gone when the new master looks
        start(ClusterSpec.builder().workers(3).readyWhen(ReadyWhen.STARTED),
                List.of(adoptee(0, 500, 4, same, true), adoptee(1, 501, 4, same, true), adoptee(2, 502, 4, same, true)));
        // 502's slot gets a new worker, of the adopted generation
        assertThat(launcher.adopted).containsExactly(500L, 501L);
        assertThat(launcher.launched).singleElement().satisfies(plan -> {
            assertThat(plan.slot()).isEqualTo(2);
            assertThat(plan.generation()).isEqualTo(4);
            assertThat(plan.sequence()).as("numbered after the adopted sockets").isGreaterThan(501);
        });
        assertThat(events(Event.WorkerAdopted.class)).extracting(Event.WorkerAdopted::role).containsExactly("serving", "serving");
        assertThat(events(Event.MasterTakeover.class)).singleElement().satisfies(e -> {
            assertThat(e.workers()).isEqualTo(2);
            assertThat(e.fromPid()).isEqualTo(77);
        });
        assertThat(events(Event.ReloadBegun.class)).as("nothing to upgrade").isEmpty();
        // an adopted worker's exit is seen without a status, and counts as any crash
        launcher.exit(500L, ExitStatus.unknown());
        step();
        assertThat(events(Event.WorkerExited.class)).singleElement()
                .satisfies(e -> assertThat(e.fields()).containsEntry("status", "unknown: adopted, not this master's child"));
        runFor(Duration.ofSeconds(1));
        assertThat(launcher.launched).extracting(WorkerLauncher.Plan::slot).containsExactly(2, 0);
        // a reload numbers its generation after the adopted one
        submit(new ControlCommand.Reload());
        assertThat(events(Event.ReloadBegun.class)).singleElement()
                .satisfies(e -> assertThat(e.generation()).isEqualTo(5));
    }

    @Test
    void aHandOverCarriesEachSlotsRestartsAndEachWorkersCounters() {
        List<String> same = List.of("/bin/true");
        launcher.adoptable.addAll(List.of(500L, 501L));
        start(ClusterSpec.builder().workers(2).readyWhen(ReadyWhen.STARTED),
                List.of(adoptee(0, 500, 1, same, true), adoptee(1, 501, 1, same, true)),
                new CarriedCounters(Map.of(1, 3, 7, 9), Map.of(500L, new CarriedCounters.Served(12, 345), 999L,
                        new CarriedCounters.Served(1, 1))));
        ClusterStatus status = submit(new ControlCommand.Status()).join();
        assertThat(status.workers()).extracting(ClusterStatus.WorkerInfo::pid, ClusterStatus.WorkerInfo::restarts,
                        ClusterStatus.WorkerInfo::connections, ClusterStatus.WorkerInfo::requests)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(500L, 0, 12L, 345L),
                        org.assertj.core.groups.Tuple.tuple(501L, 3, 0L, 0L));
        // the next crash counts on from there
        launcher.crash(501L, 1);
        step();
        runFor(Duration.ofSeconds(2));
        assertThat(submit(new ControlCommand.Status()).join().workers()).filteredOn(w -> w.slot() == 1)
                .extracting(ClusterStatus.WorkerInfo::restarts).containsOnly(4);
    }

    @Test
    void adoptedWorkersOfAnotherCommandAreUpgradedAndASlotsOlderWorkerIsRetired() {
        List<String> old = List.of("/bin/old-app");
        launcher.adoptable.addAll(List.of(499L, 500L, 501L));
        start(ClusterSpec.builder().workers(2).readyWhen(ReadyWhen.STARTED).canaryPeriod(Duration.ZERO),
                List.of(adoptee(0, 500, 2, old, true), adoptee(0, 499, 1, old, true), adoptee(1, 501, 2, old, true)));
        assertThat(events(Event.WorkerAdopted.class)).extracting(Event.WorkerAdopted::pid, Event.WorkerAdopted::role)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(500L, "serving"),
                        org.assertj.core.groups.Tuple.tuple(499L, "retired"),
                        org.assertj.core.groups.Tuple.tuple(501L, "serving"));
        assertThat(launcher.signals).contains("499:TERM");
        assertThat(events(Event.ReloadBegun.class)).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo("upgrade");
            assertThat(e.generation()).isEqualTo(3);
            assertThat(e.fromGeneration()).isEqualTo(2);
        });
        runFor(Duration.ofSeconds(5));
        assertThat(launcher.launched).extracting(WorkerLauncher.Plan::argv).containsOnly(List.of("/bin/true"));
        assertThat(replacedOldPids()).containsExactlyInAnyOrder(500L, 501L);
    }

    /** Handles what the fake processes posted and the timers due now. */
    private void step() {
        exitCode = supervisor.step();
    }

    /** Lets time pass in steps of 10 ms, so periodic checks run as often as they would. */
    private void runFor(Duration duration) {
        long end = nanos + duration.toNanos();
        while (nanos < end && exitCode == null) {
            nanos = Math.min(end, nanos + 10_000_000L);
            step();
        }
    }

    private void signal(Signal signal) {
        supervisor.signal(signal);
        step();
    }

    private void ready(long pid) {
        launcher.notify(pid, "READY=1");
        step();
    }

    private void crash(long pid) {
        launcher.crash(pid, 1);
        step();
    }

    /** A crash, and time for the respawn (the backoff doubles from 100 ms on repeated quick crashes). */
    private void crashAndWait(long pid) {
        crash(pid);
        runFor(Duration.ofSeconds(2));
    }

    private <R> CompletableFuture<R> submit(ControlCommand<R> command) {
        CompletableFuture<R> reply = supervisor.submit(command);
        step();
        return reply;
    }

    private <T extends Event> List<T> events(Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private List<Long> replacedOldPids() {
        return events(Event.SlotReplaced.class).stream().map(Event.SlotReplaced::oldPid).toList();
    }

    // ---- start, readiness, crashes ----

    @Test
    void listeningReadinessComesFromTheLauncherAndSlotsGetTheirIdentity() {
        start(ClusterSpec.builder().workers(3).readyWhen(ReadyWhen.LISTENING));
        assertThat(launcher.launched).extracting(p -> p.env().get("HERD_WORKER_ID")).containsExactly("0", "1", "2");
        runFor(Duration.ofMillis(100));
        assertThat(events(Event.WorkerReady.class)).isEmpty();
        launcher.accepting.add(1001L);
        runFor(Duration.ofMillis(20));
        assertThat(events(Event.WorkerReady.class)).extracting(Event.WorkerReady::slot).containsExactly(0);
    }

    @Test
    void crashRespawnsIntoTheSameSlotWithTheSameGenerationAfterTheRestartDelay() {
        start(ClusterSpec.builder().workers(2).readyWhen(ReadyWhen.STARTED).restartDelay(Duration.ofMillis(500)));
        crash(1002);
        assertThat(events(Event.WorkerExited.class).getFirst().reason()).isEqualTo(ExitReason.CRASH);
        runFor(Duration.ofMillis(490));
        assertThat(launcher.launched).hasSize(2);
        runFor(Duration.ofMillis(10));
        assertThat(launcher.launched).hasSize(3);
        assertThat(launcher.launched.get(2).slot()).isEqualTo(1);
        assertThat(launcher.launched.get(2).generation()).isEqualTo(1);
        // the listeners hear of slot 1 going away and coming back (what sticky sessions steer by)
        assertThat(servingUpdates).containsExactly("[true, true]", "[true, false]", "[true, true]");
    }

    @Test
    void slotOverItsBudgetFailsAndTheOthersStay() {
        start(ClusterSpec.builder().workers(2).readyWhen(ReadyWhen.STARTED).restartDelay(Duration.ZERO)
                .maxRestartsPerMinute(2));
        for (int attempt = 0; attempt < 3; attempt++) {
            crashAndWait(launcher.nextPid); // only slot 1 crashes, so the newest pid is always its worker
        }
        assertThat(events(Event.SlotFailed.class)).extracting(Event.SlotFailed::slot).containsExactly(1);
        assertThat(exitCode).isNull();
        assertThat(launcher.launched).hasSize(4);
    }

    @Test
    void failedStartsInARowFailTheSlotAndEverySlotFailedExitsFour() {
        start(ClusterSpec.builder().workers(1).readyWhen(ReadyWhen.LISTENING).restartDelay(Duration.ZERO)
                .maxFailedStarts(3));
        crashAndWait(1001);
        crashAndWait(1002);
        launcher.accepting.add(1003L);
        runFor(Duration.ofMillis(20));
        assertThat(events(Event.WorkerReady.class)).hasSize(1);
        crashAndWait(1003); // it had served: no failed start, and the two before are forgiven
        crashAndWait(1004);
        crashAndWait(1005);
        assertThat(exitCode).isNull();
        crash(1006);
        assertThat(exitCode).isEqualTo(Supervisor.EXIT_ALL_SLOTS_FAILED);
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
        runFor(Duration.ofMillis(90));
        assertThat(launcher.signals).isEmpty();
        runFor(Duration.ofMillis(10));
        assertThat(launcher.signals).containsExactly("1001:KILL", "1001:leftovers");
        assertThat(events(Event.WorkerExited.class).getFirst().reason()).isEqualTo(ExitReason.START_TIMEOUT);
        assertThat(events(Event.RestartScheduled.class)).extracting(Event.RestartScheduled::failedStarts)
                .containsExactly(1);
    }

    @Test
    void aSpawnFailureCountsAsACrashOfItsSlot() {
        launcher.failingLaunches = 1;
        start(ClusterSpec.builder().workers(1).readyWhen(ReadyWhen.STARTED).restartDelay(Duration.ofMillis(100)));
        assertThat(launcher.launched).isEmpty();
        assertThat(events(Event.RestartScheduled.class)).hasSize(1);
        runFor(Duration.ofMillis(100));
        assertThat(launcher.launched).hasSize(1);
        assertThat(events(Event.WorkerReady.class)).hasSize(1);
    }

    @Test
    void notifyReadyMarksReadyAndStatusIsAnEvent() {
        start(ClusterSpec.builder().workers(1).readyWhen(ReadyWhen.NOTIFY));
        launcher.notify(1001, "STATUS=loading");
        launcher.notify(1001, "READY=1\nSTATUS=serving");
        step();
        assertThat(events(Event.WorkerReady.class)).hasSize(1);
        assertThat(events(Event.WorkerStatus.class)).extracting(Event.WorkerStatus::status)
                .containsExactly("loading", "serving");
        launcher.notify(1001, "STOPPING=1");
        step();
        assertThat(events(Event.WorkerStopping.class)).hasSize(1);
    }

    // ---- shutdown ----

    @Test
    void sigtermDrainsClosesTheListenerAndExitsZero() {
        start(ClusterSpec.builder().workers(2).readyWhen(ReadyWhen.STARTED));
        signal(Signal.TERM);
        assertThat(exitCode).isZero();
        assertThat(listenerClosed).isTrue();
        assertThat(launcher.signals).contains("1001:TERM", "1002:TERM");
        assertThat(launcher.sent).anyMatch(line -> line.startsWith("1001:") && line.contains("\"drain\""))
                .anyMatch(line -> line.startsWith("1002:") && line.contains("\"drain\""));
        assertThat(events(Event.WorkerExited.class)).extracting(Event.WorkerExited::reason)
                .containsOnly(ExitReason.STOPPED);
        assertThat(events(Event.ClusterStopped.class)).hasSize(1);
    }

    @Test
    void drainTimeoutKillsStragglersAndSecondSigintStopsHard() {
        launcher.exitOnTerm = false;
        start(ClusterSpec.builder().workers(1).readyWhen(ReadyWhen.STARTED).drainTimeout(Duration.ofMillis(100)));
        launcher.slowToDie.add(1001L);
        signal(Signal.INT);
        runFor(Duration.ofMillis(90));
        assertThat(launcher.signals).containsExactly("1001:TERM");
        runFor(Duration.ofMillis(10));
        assertThat(launcher.signals).containsExactly("1001:TERM", "1001:KILL"); // the straggler, at the drain timeout
        assertThat(exitCode).isNull(); // it is not reaped yet
        launcher.slowToDie.clear();
        signal(Signal.INT);
        assertThat(launcher.signals).containsExactly("1001:TERM", "1001:KILL", "1001:KILL", "1001:leftovers");
        assertThat(exitCode).isEqualTo(Supervisor.EXIT_HARD_STOP);
        assertThat(events(Event.SignalReceived.class)).extracting(Event.SignalReceived::action)
                .containsExactly("drain", "hard-stop");
        assertThat(events(Event.WorkerExited.class).getFirst().reason()).isEqualTo(ExitReason.KILLED);
    }

    @Test
    void aStragglerKilledAtTheDrainTimeoutEndsAGracefulStopWithZero() {
        launcher.exitOnTerm = false;
        start(ClusterSpec.builder().workers(2).readyWhen(ReadyWhen.STARTED).drainTimeout(Duration.ofMillis(100)));
        signal(Signal.TERM);
        runFor(Duration.ofMillis(100));
        assertThat(exitCode).isZero();
        assertThat(events(Event.WorkerExited.class)).extracting(Event.WorkerExited::reason)
                .containsOnly(ExitReason.KILLED);
    }

    // ---- rollouts ----

    @Test
    void reloadReplacesBatchByBatchEachOnceTheOldWorkerLetGoOfTheSocket() {
        start(ClusterSpec.builder().workers(4).readyWhen(ReadyWhen.NOTIFY).reloadBatch(2));
        launcher.exitOnTerm = false; // old workers drain on their own time
        for (long pid = 1001; pid <= 1004; pid++) {
            ready(pid);
            launcher.holdingSocket.add(pid);
        }
        CompletableFuture<RolloutResult> reply = submit(new ControlCommand.Reload());
        assertThat(launcher.generations()).containsExactly(1, 1, 1, 1, 2, 2); // the first batch: slots 0 and 1
        ready(1005);
        assertThat(launcher.signals).containsExactly("1001:TERM"); // slot 0 changed hands, slot 1 still waits
        ready(1006);
        launcher.holdingSocket.remove(1001L);
        runFor(Duration.ofMillis(20));
        assertThat(replacedOldPids()).containsExactly(1001L);
        assertThat(launcher.launched).hasSize(7); // room for one more of the next batch
        launcher.holdingSocket.clear();
        runFor(Duration.ofMillis(20));
        assertThat(launcher.launched).hasSize(8);
        ready(1007);
        ready(1008);
        assertThat(reply).isCompleted();
        RolloutResult result = reply.join();
        assertThat(result.ok()).isTrue();
        assertThat(result.generation()).isEqualTo(2);
        assertThat(result.replaced()).containsExactly(0, 1, 2, 3);
        assertThat(replacedOldPids()).containsExactly(1001L, 1002L, 1003L, 1004L);
        assertThat(launcher.signals).contains("1001:deprioritise", "1004:TERM");
        assertThat(events(Event.WorkerRetired.class)).hasSize(4);
        ClusterStatus status = submit(new ControlCommand.Status()).join();
        assertThat(status.generation()).isEqualTo(2);
        assertThat(status.workers()).filteredOn(w -> !w.retired()).extracting(ClusterStatus.WorkerInfo::generation)
                .containsOnly(2);
    }

    @Test
    void aRetiredWorkerThatDoesNotDrainIsKilledAtTheDrainTimeout() {
        start(ClusterSpec.builder().workers(1).readyWhen(ReadyWhen.STARTED).drainTimeout(Duration.ofSeconds(5)));
        launcher.exitOnTerm = false;
        RolloutResult result = submit(new ControlCommand.Reload()).join();
        assertThat(result.ok()).isTrue();
        runFor(Duration.ofMillis(4990));
        assertThat(launcher.signals).doesNotContain("1001:KILL");
        runFor(Duration.ofMillis(10));
        assertThat(launcher.signals).contains("1001:KILL");
        assertThat(events(Event.WorkerExited.class)).extracting(Event.WorkerExited::reason)
                .containsExactly(ExitReason.KILLED);
        assertThat(events(Event.RestartScheduled.class)).isEmpty();
    }

    @Test
    void upgradeWatchesTheCanaryForTheCanaryPeriodThenRollsTheRest() {
        start(ClusterSpec.builder().workers(3).readyWhen(ReadyWhen.STARTED).reloadBatch(2)
                .canaryPeriod(Duration.ofSeconds(30)));
        CompletableFuture<RolloutResult> reply = submit(new ControlCommand.Upgrade(List.of("/bin/sh"), Map.of("V", "2")));
        assertThat(launcher.launched).hasSize(4); // the canary alone
        assertThat(launcher.launched.get(3).env()).containsEntry("V", "2");
        assertThat(events(Event.CanaryWatching.class)).hasSize(1);
        runFor(Duration.ofMillis(29_990));
        assertThat(launcher.launched).hasSize(4);
        assertThat(launcher.signals).isEmpty();
        runFor(Duration.ofMillis(10));
        assertThat(launcher.launched).hasSize(6);
        assertThat(reply).isCompleted();
        assertThat(reply.join().ok()).isTrue();
        assertThat(reply.join().replaced()).containsExactly(0, 1, 2);
        assertThat(launcher.signals).contains("1001:TERM", "1002:TERM", "1003:TERM");
        assertThat(submit(new ControlCommand.Status()).join().generation()).isEqualTo(2);
        crash(1006); // a crash replacement runs the upgraded command
        runFor(Duration.ofSeconds(1));
        assertThat(launcher.launched.getLast().argv()).containsExactly("/bin/sh");
    }

    @Test
    void upgradeWhoseCanaryCrashesIsRolledBackWithoutTouchingTheOldWorkers() {
        start(ClusterSpec.builder().workers(2).readyWhen(ReadyWhen.STARTED).canaryPeriod(Duration.ofSeconds(30)));
        CompletableFuture<RolloutResult> reply = submit(new ControlCommand.Upgrade(List.of("/bin/sh"), Map.of("V", "2")));
        runFor(Duration.ofSeconds(10));
        crash(1003);
        assertThat(reply).isCompleted();
        RolloutResult result = reply.join();
        assertThat(result.ok()).isFalse();
        assertThat(result.rolledBack()).isTrue();
        assertThat(result.reason()).contains("while watched as the canary");
        assertThat(launcher.signals).doesNotContain("1001:TERM", "1002:TERM");
        runFor(Duration.ofSeconds(30));
        assertThat(launcher.launched).hasSize(3); // no more of the upgrade, no respawn of the canary
        assertThat(submit(new ControlCommand.Status()).join().generation()).isEqualTo(1);
    }

    @Test
    void upgradeThatFailsAfterReplacingSlotsRollsThoseBack() {
        start(ClusterSpec.builder().workers(3).readyWhen(ReadyWhen.NOTIFY).canaryPeriod(Duration.ofSeconds(1)));
        for (long pid = 1001; pid <= 1003; pid++) {
            ready(pid);
        }
        CompletableFuture<RolloutResult> reply = submit(new ControlCommand.Upgrade(List.of("/bin/sh"), Map.of()));
        ready(1004);
        runFor(Duration.ofSeconds(1)); // the canary passes: slot 0 is replaced, slot 1 is next
        assertThat(replacedOldPids()).containsExactly(1001L);
        ready(1005); // slot 1 replaced too
        crash(1006); // slot 2's new worker dies before it is ready
        Event.ReloadFailed failed = events(Event.ReloadFailed.class).getFirst();
        assertThat(failed.outcome()).isEqualTo("rolling back slots [0, 1] to generation 1");
        assertThat(reply).isNotDone(); // answered when the rollback has ended
        assertThat(launcher.launched.subList(6, 7)).extracting(WorkerLauncher.Plan::slot, WorkerLauncher.Plan::generation)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(0, 3));
        assertThat(launcher.launched.get(6).argv()).containsExactly("/bin/true");
        ready(1007);
        ready(1008);
        assertThat(events(Event.ReloadDone.class)).extracting(Event.ReloadDone::kind).containsExactly("rollback");
        assertThat(reply).isCompleted();
        RolloutResult result = reply.join();
        assertThat(result.kind()).isEqualTo("upgrade");
        assertThat(result.ok()).isFalse();
        assertThat(result.rolledBack()).isTrue();
        assertThat(result.replaced()).containsExactly(0, 1);
        assertThat(result.reason()).startsWith("slot 2: new worker (pid 1006, generation 2) exited with exit code 1");
        assertThat(launcher.signals).doesNotContain("1003:TERM"); // slot 2 kept its worker throughout
        ClusterStatus status = submit(new ControlCommand.Status()).join();
        assertThat(status.generation()).isEqualTo(3);
        assertThat(status.workers()).filteredOn(w -> !w.retired()).extracting(ClusterStatus.WorkerInfo::pid)
                .containsExactly(1007L, 1008L, 1003L);
    }

    @Test
    void anUpgradeDuringARolloutIsRefusedAndReloadsQueueOnce() {
        start(ClusterSpec.builder().workers(1).readyWhen(ReadyWhen.NOTIFY));
        ready(1001);
        CompletableFuture<RolloutResult> first = submit(new ControlCommand.Reload());
        assertThat(launcher.launched).hasSize(2);
        CompletableFuture<RolloutResult> second = submit(new ControlCommand.Reload());
        CompletableFuture<RolloutResult> third = submit(new ControlCommand.Reload());
        CompletableFuture<RolloutResult> upgrade = submit(new ControlCommand.Upgrade(List.of("/bin/sh"), Map.of()));
        assertThat(upgrade).isCompletedExceptionally();
        assertThat(upgrade.handle((r, e) -> e.getMessage()).join())
                .contains("is in progress; upgrade again when it has finished");
        assertThat(events(Event.ReloadQueued.class)).hasSize(2);
        ready(1002);
        assertThat(first.join().generation()).isEqualTo(2);
        assertThat(launcher.launched).hasSize(3); // the queued reload, once
        ready(1003);
        assertThat(second.join().generation()).isEqualTo(3);
        assertThat(third.join().generation()).isEqualTo(3);
        assertThat(launcher.launched).hasSize(3);
    }

    @Test
    void aShutdownAbortsTheRolloutAndFailsTheQueuedReload() {
        start(ClusterSpec.builder().workers(1).readyWhen(ReadyWhen.NOTIFY));
        ready(1001);
        CompletableFuture<RolloutResult> running = submit(new ControlCommand.Reload());
        CompletableFuture<RolloutResult> queued = submit(new ControlCommand.Reload());
        signal(Signal.TERM);
        assertThat(running.join().ok()).isFalse();
        assertThat(running.join().reason()).isEqualTo("the master is shutting down");
        assertThat(queued).isCompletedExceptionally();
        assertThat(exitCode).isZero();
        assertThat(launcher.launched).hasSize(2); // the queued reload never started
    }

    @Test
    void restartOfOneSlotReplacesOnlyItsWorkerKeepingTheGeneration() {
        start(ClusterSpec.builder().workers(2).readyWhen(ReadyWhen.NOTIFY));
        ready(1001);
        ready(1002);
        CompletableFuture<RolloutResult> reply = submit(new ControlCommand.Restart(new ControlCommand.Target.OfSlot(1)));
        assertThat(launcher.launched).extracting(WorkerLauncher.Plan::slot).containsExactly(0, 1, 1);
        assertThat(launcher.signals).isEmpty(); // the old one serves until the new one is ready
        ready(1003);
        assertThat(reply.join().kind()).isEqualTo("restart");
        assertThat(reply.join().generation()).isEqualTo(1);
        assertThat(reply.join().replaced()).containsExactly(1);
        assertThat(launcher.signals).containsExactly("1002:TERM", "1002:deprioritise", "1002:leftovers");
    }

    @Test
    void aNewWorkerThatCrashesFailsTheReloadAndTheOldOnesKeepServing() {
        start(ClusterSpec.builder().workers(2).readyWhen(ReadyWhen.NOTIFY));
        ready(1001);
        ready(1002);
        CompletableFuture<RolloutResult> reply = submit(new ControlCommand.Reload());
        crash(1003);
        RolloutResult result = reply.join();
        assertThat(result.ok()).isFalse();
        assertThat(result.rolledBack()).isFalse();
        assertThat(result.replaced()).isEmpty();
        assertThat(events(Event.ReloadFailed.class).getFirst().outcome()).isEqualTo("no slot was replaced");
        runFor(Duration.ofSeconds(5));
        assertThat(launcher.launched).hasSize(3); // no respawn of the new worker, slot 1 untouched
        assertThat(launcher.signals).containsExactly("1003:leftovers");
    }

    @Test
    void anOldWorkerCrashingDuringAReloadIsRespawnedAndThenReplaced() {
        start(ClusterSpec.builder().workers(2).readyWhen(ReadyWhen.NOTIFY).restartDelay(Duration.ofMillis(100)));
        ready(1001);
        ready(1002);
        CompletableFuture<RolloutResult> reply = submit(new ControlCommand.Reload());
        crash(1002); // slot 1 waits for its turn
        runFor(Duration.ofMillis(100));
        assertThat(launcher.launched.get(3).generation()).isEqualTo(1); // a crash replacement runs what it ran
        ready(1004);
        ready(1003); // slot 0 replaced; slot 1 next
        ready(1005);
        assertThat(reply.join().ok()).isTrue();
        assertThat(replacedOldPids()).containsExactly(1001L, 1004L);
    }

    @Test
    void aReloadWhoseNewWorkerCannotBeSpawnedFails() {
        start(ClusterSpec.builder().workers(1).readyWhen(ReadyWhen.STARTED));
        launcher.failingLaunches = 1;
        RolloutResult result = submit(new ControlCommand.Reload()).join();
        assertThat(result.ok()).isFalse();
        assertThat(result.reason()).isEqualTo("slot 0: cannot start the new worker: posix_spawn failed: EAGAIN");
        assertThat(events(Event.RestartScheduled.class)).isEmpty(); // not a crash: the old worker still serves
    }

    @Test
    void aHungWorkerIsReplacedAndThenKilledNotDrained() {
        start(ClusterSpec.builder().workers(1).readyWhen(ReadyWhen.NOTIFY).watchdogTimeout(Duration.ofSeconds(4)));
        ready(1001);
        launcher.notify(1001, "WATCHDOG=1");
        step();
        runFor(Duration.ofMillis(3990));
        assertThat(launcher.launched).hasSize(1);
        runFor(Duration.ofSeconds(1)); // the next check after the timeout finds it silent
        assertThat(launcher.launched).hasSize(2);
        assertThat(launcher.signals).isEmpty(); // it keeps its socket until the new one is ready
        ready(1002);
        assertThat(launcher.signals).startsWith("1001:KILL");
        assertThat(events(Event.WorkerExited.class)).extracting(Event.WorkerExited::reason)
                .containsExactly(ExitReason.KILLED);
        assertThat(events(Event.ReloadDone.class)).extracting(Event.ReloadDone::kind).containsExactly("restart");
    }

    // ---- commands ----

    @Test
    void scaleUpStartsNewSlotsAndScaleDownDrainsTheHighest() {
        start(ClusterSpec.builder().workers(2).readyWhen(ReadyWhen.STARTED));
        slots = 4;
        ControlCommand.Scaled up = submit(new ControlCommand.Scale(4)).join();
        assertThat(up.startedSlots()).containsExactly(2, 3);
        assertThat(launcher.launched).extracting(WorkerLauncher.Plan::slot).containsExactly(0, 1, 2, 3);
        ControlCommand.Scaled down = submit(new ControlCommand.Scale(1)).join();
        assertThat(down.removedSlots()).containsExactly(3, 2, 1);
        assertThat(launcher.signals).contains("1002:TERM", "1003:TERM", "1004:TERM");
        assertThat(events(Event.RestartScheduled.class)).isEmpty();
        ClusterStatus status = submit(new ControlCommand.Status()).join();
        assertThat(status.slots()).isEqualTo(1);
        assertThat(servingUpdates.getLast()).isEqualTo("[true, false, false, false]");
    }

    @Test
    void shutdownStopsSlotsUntilARestartStartsThemAgain() {
        start(ClusterSpec.builder().workers(2).readyWhen(ReadyWhen.STARTED));
        ControlCommand.SlotsStopped stopped = submit(new ControlCommand.Shutdown(
                new ControlCommand.Target.OfSlot(1), null)).join();
        assertThat(stopped.drainingPids()).containsExactly(1002L);
        runFor(Duration.ofSeconds(5));
        assertThat(launcher.launched).hasSize(2);
        assertThat(submit(new ControlCommand.Status()).join().workers()).extracting(ClusterStatus.WorkerInfo::state)
                .containsExactly(WorkerState.READY, WorkerState.STOPPED);
        RolloutResult restarted = submit(new ControlCommand.Restart(new ControlCommand.Target.OfSlot(1))).join();
        assertThat(restarted.ok()).isTrue();
        assertThat(launcher.launched).hasSize(3);
    }
}
