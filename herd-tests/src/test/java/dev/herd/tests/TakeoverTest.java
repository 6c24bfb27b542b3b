package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 16, takeover of a live master ({@code herd run --takeover}): the running master hands its listening
 * sockets and workers over and exits without signalling one; under keep-alive load nothing is dropped. The same
 * command keeps the workers as they are; another one replaces them slot by slot, as an upgrade.
 */
class TakeoverTest {
    private static final Duration START = Duration.ofSeconds(60);

    @Test
    void tenTakeoversWithTheSameCommandUnderLoadKeepEveryWorkerAndDropNothing() throws Exception {
        takeovers("shared", List.of("--workers", "2"), 2, 5); // 5, not 10 as at first: CI's time
    }

    @Test
    void takeoversOfAStickyReusePortGroupKeepEachClientOnItsSlot() throws Exception {
        takeovers("reuseport", List.of("--workers", "4", "--mode", "reuseport", "--sticky"), 4, 3);
    }

    /**
     * The old master stops accepting and forwards the connections it carries until they end (here: when wrk stops,
     * within the drain timeout), as HAProxy's soft stop does; then it exits.
     */
    @Test
    void takeoversInProxyModeLetTheOldMasterFinishWhatItForwards() throws Exception {
        takeovers("proxy", List.of("--workers", "2", "--mode", "proxy", "--drain-timeout", "120s"), 2, 3);
    }

    /** {@code count} takeovers under {@code wrk -t2 -c32}, each by a new master with the same arguments. */
    private static void takeovers(String label, List<String> extra, int workers, int count) throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir));
        args.addAll(extra);
        List<Herd> masters = new ArrayList<>();
        try {
            Herd first = Herd.start(dir, args);
            masters.add(first);
            int port = first.awaitPort();
            List<Long> pids = first.awaitReady(workers, START);
            if (label.equals("reuseport")) {
                AdoptionTest.awaitEverySlotSticky(first, workers);
            }
            Map<String, Integer> slotBySource = label.equals("reuseport") ? AdoptionTest.slotsBySource(port) : Map.of();
            List<String> takeover = new ArrayList<>(args);
            takeover.set(takeover.indexOf("--port") + 1, Integer.toString(port));
            takeover.add(takeover.indexOf("--port"), "--takeover");
            List<Long> took = new ArrayList<>();
            Wrk.Result result;
            try (Wrk wrk = Wrk.start(port, 2, 32, Duration.ofSeconds(300), dir)) {
                wrk.awaitRunning();
                for (int i = 0; i < count; i++) {
                    Herd old = masters.getLast();
                    Herd next = Herd.start(Herd.newDir(), takeover); // its own output; the state dir is dir's
                    masters.add(next);
                    LogEvent event = next.awaitEvent(e -> e.name().equals("master.takeover"), START, "master.takeover");
                    assertThat(event.get("kind")).isEqualTo("handover");
                    assertThat(event.get("from_pid")).isEqualTo(Long.toString(old.pid()));
                    assertThat(event.get("workers")).isEqualTo(Integer.toString(workers));
                    if (!label.equals("proxy")) {
                        assertThat(old.awaitExit(Duration.ofSeconds(60))).as("the old master exits 0").isZero();
                    }
                    took.add(Long.parseLong(event.get("took_ms")));
                    assertThat(next.events("worker.adopted")).extracting(LogEvent::pid)
                            .containsExactlyInAnyOrderElementsOf(pids);
                    assertThat(next.events("worker.forked")).as("no worker restarted").isEmpty();
                    assertThat(old.events("worker.exited")).as("the old master stopped none").isEmpty();
                }
                if (!slotBySource.isEmpty()) {
                    assertThat(AdoptionTest.slotsBySource(port)).as("each client on its slot across the takeovers")
                            .isEqualTo(slotBySource);
                }
                result = wrk.stop();
            }
            for (Herd old : masters.subList(0, masters.size() - 1)) {
                assertThat(old.awaitExit(Duration.ofSeconds(60))).as("every old master exits 0").isZero();
            }
            System.out.println("[takeover " + label + "] " + count + " takeovers with the same command (took ms: "
                    + took + "), wrk -t2 -c32: " + result);
            assertThat(result.requests()).isPositive();
            assertThat(result.socketErrors()).as("socket errors\n" + result.output()).isZero();
            assertThat(result.non2xx()).as("non-2xx\n" + result.output()).isZero();
            Herd last = masters.getLast();
            Shell.Result status = first.cli("status"); // the first one's directory holds the state dir
            assertThat(status.code()).as(status.output()).isZero();
            for (long pid : pids) {
                assertThat(status.output()).contains(Long.toString(pid));
            }
            last.signal("TERM");
            assertThat(last.awaitExit(Duration.ofSeconds(60))).isZero();
            assertThat(last.events("worker.exited")).extracting(LogEvent::pid).containsExactlyInAnyOrderElementsOf(pids);
        } finally {
            masters.forEach(Herd::close);
        }
    }

    @Test
    void aTakeoverWithANewCommandReplacesTheWorkersSlotBySlotUnderLoad() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--canary-seconds", "1"));
        List<Herd> masters = new ArrayList<>();
        try {
            Herd first = Herd.start(dir, args);
            masters.add(first);
            int port = first.awaitPort();
            first.awaitReady(2, START);
            Wrk.Result result;
            try (Wrk wrk = Wrk.start(port, 2, 32, Duration.ofSeconds(300), dir)) {
                wrk.awaitRunning();
                for (int version = 2; version <= 6; version++) {
                    Herd old = masters.getLast();
                    List<String> next = new ArrayList<>(args);
                    next.set(next.indexOf("--port") + 1, Integer.toString(port));
                    next.add(next.indexOf("--port"), "--takeover");
                    next.addAll(List.of("--", "env", "HERD_APP_VERSION=v" + version));
                    next.addAll(Workers.demo());
                    Herd taking = Herd.start(Herd.newDir(), next);
                    masters.add(taking);
                    taking.awaitEvent(e -> e.name().equals("master.takeover"), START, "master.takeover");
                    assertThat(old.awaitExit(Duration.ofSeconds(60))).isZero();
                    taking.awaitEvent(e -> e.name().equals("reload.done"), Duration.ofSeconds(120), "the upgrade done");
                    assertThat(taking.events("reload.begun")).singleElement()
                            .satisfies(e -> assertThat(e.get("kind")).isEqualTo("upgrade"));
                    String expected = "\"version\":\"v" + version + "\"";
                    await("every worker runs v" + version).atMost(Duration.ofSeconds(60)).until(() -> {
                        for (int i = 0; i < 20; i++) {
                            if (!Http.get(port, "/").body().contains(expected)) {
                                return false;
                            }
                        }
                        return true;
                    });
                }
                result = wrk.stop();
            }
            System.out.println("[takeover upgrade] 5 takeovers each with a new command, wrk -t2 -c32: " + result);
            assertThat(result.socketErrors()).as("socket errors\n" + result.output()).isZero();
            assertThat(result.non2xx()).as("non-2xx\n" + result.output()).isZero();
        } finally {
            masters.forEach(Herd::close);
        }
    }

    @Test
    void aTakeoverInAnotherModeIsRefusedAndTheRunningMasterGoesOn() throws Exception {
        Path dir = Herd.newDir();
        try (Herd running = Herd.start(dir, Herd.runArgs(dir, "--workers", "2"))) {
            int port = running.awaitPort();
            List<Long> workers = running.awaitReady(2, START);
            List<String> other = new ArrayList<>(Herd.runArgs(dir, "--takeover", "--workers", "2", "--mode", "reuseport"));
            other.set(other.indexOf("--port") + 1, Integer.toString(port));
            try (Herd refused = Herd.start(Herd.newDir(), other)) {
                assertThat(refused.awaitExit(Duration.ofSeconds(30))).isEqualTo(3);
                Herd.assertOneLine(refused.output(), "cannot take over: the running master serves in shared mode;"
                        + " the new one asks for reuseport mode");
            }
            // untouched: it still answers commands and reloads
            Shell.Result reload = running.cli("reload");
            assertThat(reload.code()).as(reload.output()).isZero();
            running.awaitExited(workers, Duration.ofSeconds(60), "the reloaded workers gone");
        }
    }

    /**
     * {@code herd upgrade-master} and SIGUSR2 start the next master with the running one's command line; it takes
     * the cluster over, workers kept, and tells systemd (NOTIFY_SOCKET) that it is the service's main process now.
     */
    @Test
    void upgradeMasterAndSigusr2StartTheNextMasterWhichTellsSystemdItsPid() throws Exception {
        Path dir = Herd.newDir();
        Path notify = dir.resolve("systemd-notify.sock");
        try (dev.herd.os.NotifySocket systemd = dev.herd.os.NotifySocket.bind(notify);
             Herd first = Herd.start(dir, Herd.runArgs(dir, "--workers", "2"), Map.of("NOTIFY_SOCKET", notify.toString()))) {
            int port = first.awaitPort();
            first.awaitReady(2, START);
            // what runs now differs from the first master's command line: an upgrade (command and environment)
            // and a scale; the successor must keep both rather than go back to its original command line
            List<String> v2 = new ArrayList<>(List.of("upgrade", "--env", "HERD_APP_VERSION=v2", "--"));
            v2.addAll(Workers.demo());
            Shell.Result upgraded = first.cli(v2.getFirst(), v2.subList(1, v2.size()).toArray(String[]::new));
            assertThat(upgraded.code()).as(upgraded.output()).isZero();
            Shell.Result scaled = first.cli("scale", "3");
            assertThat(scaled.code()).as(scaled.output()).isZero();
            List<Long> workers = await("three workers of v2").atMost(START).until(() -> {
                java.util.Set<Long> exited = new java.util.HashSet<>(first.events("worker.exited").stream()
                        .map(LogEvent::pid).toList());
                return first.events("worker.ready").stream().filter(e -> "2".equals(e.get("generation")))
                        .map(LogEvent::pid).filter(pid -> !exited.contains(pid)).distinct().toList();
            }, pids -> pids.size() == 3);
            Shell.Result upgrade = first.cli("upgrade-master");
            assertThat(upgrade.code()).as(upgrade.output()).isZero();
            assertThat(upgrade.output()).contains("--takeover").contains(" took the cluster over in ");
            long second = Long.parseLong(upgrade.output().replaceAll("(?s).*master pid (\\d+) took.*", "$1"));
            assertThat(first.awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(nextMainPid(systemd, first.pid())).isEqualTo(second);

            Shell.run("kill", "-USR2", Long.toString(second));
            long third = await("a third master after SIGUSR2").atMost(START).pollInterval(Duration.ofMillis(100))
                    .until(() -> masterPid(first), pid -> pid != 0 && pid != second);
            assertThat(nextMainPid(systemd, second)).isEqualTo(third);
            Shell.Result status = first.cli("status");
            for (long pid : workers) {
                assertThat(status.output()).as("the workers kept").contains(Long.toString(pid));
            }
            for (int i = 0; i < 10; i++) {
                assertThat(Http.get(port, "/").body()).as("still the upgrade's version").contains("\"version\":\"v2\"");
            }
            assertThat(first.events("reload.begun")).as("only the operator's upgrade, none by a successor")
                    .singleElement().satisfies(e -> assertThat(e.get("generation")).isEqualTo("2"));
            Shell.Result stop = first.cli("stop");
            assertThat(stop.code()).as(stop.output()).isZero();
            await("the cluster stopped").atMost(START)
                    .until(() -> !Files.exists(Path.of("/proc/" + third)) && first.processes().isEmpty());
        }
    }

    /**
     * The pid of the next master that says {@code MAINPID=} on NOTIFY_SOCKET, other than {@code previous}: the
     * masters also tell systemd READY=1 (with their own MAINPID=), RELOADING=1, STOPPING=1 (ServiceManagerTest).
     */
    private static long nextMainPid(dev.herd.os.NotifySocket systemd, long previous) {
        List<String> heard = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            java.util.Optional<String> datagram = systemd.receive(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (datagram.isEmpty()) {
                break;
            }
            heard.add(datagram.get());
            for (String line : datagram.get().split("\n")) {
                if (line.startsWith("MAINPID=")) {
                    long pid = Long.parseLong(line.substring("MAINPID=".length()).trim());
                    if (pid != previous) {
                        return pid;
                    }
                }
            }
        }
        throw new AssertionError("no MAINPID= other than " + previous + " on NOTIFY_SOCKET within 30 s; heard " + heard);
    }

    /** The pid the master answering on the state dir gives in its status, 0 while none answers. */
    private static long masterPid(Herd herd) {
        Shell.Result status = herd.cli("status");
        if (status.code() != 0) {
            return 0;
        }
        return Long.parseLong(status.output().replaceAll("(?s)^master pid (\\d+),.*", "$1"));
    }

    /**
     * A new master that asks for the cluster and vanishes before it confirms costs nothing: the running master took
     * its lock back and goes on. While one hand-over runs, a second new master is refused.
     */
    @Test
    void aSecondTakeoverDuringOneIsRefusedAndANewMasterThatVanishesLeavesTheOldOneRunning() throws Exception {
        Path dir = Herd.newDir();
        try (Herd running = Herd.start(dir, Herd.runArgs(dir, "--workers", "2"))) {
            int port = running.awaitPort();
            List<Long> workers = running.awaitReady(2, START);
            Path socket = dir.resolve("state/takeover.sock");
            try (java.nio.channels.SocketChannel first = java.nio.channels.SocketChannel.open(
                    java.net.UnixDomainSocketAddress.of(socket))) {
                String hello = "{\"protocol\":2,\"pid\":" + ProcessHandle.current().pid() + ",\"mode\":\"shared\","
                        + "\"host\":\"127.0.0.1\",\"port\":" + port + ",\"workers\":2,\"sticky\":false}\n";
                first.write(java.nio.ByteBuffer.wrap(hello.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                String answer = new java.io.BufferedReader(new java.io.InputStreamReader(
                        java.nio.channels.Channels.newInputStream(first))).readLine();
                assertThat(answer).contains("\"type\":\"ready\"");
                List<String> second = new ArrayList<>(Herd.runArgs(dir, "--takeover", "--workers", "2"));
                second.set(second.indexOf("--port") + 1, Integer.toString(port));
                try (Herd refused = Herd.start(Herd.newDir(), second)) {
                    assertThat(refused.awaitExit(Duration.ofSeconds(60))).isEqualTo(3);
                    Herd.assertOneLine(refused.output(),
                            "cannot take over: another new master is taking over this one now");
                }
                assertThat(Http.get(port, "/").status()).as("the workers serve meanwhile").isEqualTo(200);
            } // the first new master vanishes without confirming
            running.awaitEvent(e -> e.name().equals("master.handover_failed"), Duration.ofSeconds(30),
                    "the old master goes on");
            Shell.Result reload = running.cli("reload");
            assertThat(reload.code()).as("it answers commands again: " + reload.output()).isZero();
            running.awaitExited(workers, Duration.ofSeconds(60), "the reloaded workers gone");
            // and a second master is still refused by its lock, which it took back
            try (Herd second = Herd.start(Herd.newDir(), Herd.runArgs(dir, "--workers", "1"))) {
                assertThat(second.awaitExit(Duration.ofSeconds(30))).isEqualTo(3);
                Herd.assertOneLine(second.output(), "another master");
            }
        }
    }

    /**
     * The listening sockets travel with the running master's answer (SCM_RIGHTS), so a new master that may not copy a
     * descriptor out of another process still takes over. Here every pidfd_getfd of the new master fails with EPERM
     * (strace's fault injection), which is what a non-root master meets under Yama's ptrace_scope 1 (Ubuntu's
     * default). The same injection makes an adoption after a crash refuse, with the line that says what it needs:
     * the fault is real, and only the takeover does without it.
     */
    @Test
    void aTakeoverNeedsNoRightToCopyDescriptorsOutOfTheRunningMaster() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2"));
        List<Herd> masters = new ArrayList<>();
        try {
            Herd first = Herd.start(dir, args);
            masters.add(first);
            int port = first.awaitPort();
            List<Long> crashed = first.awaitReady(2, START);
            // a crash the old master recovered from: the new one counts on from its restarts
            Shell.run("kill", "-KILL", Long.toString(crashed.getFirst()));
            first.awaitEvent(e -> e.name().equals("worker.exited") && e.pid() == crashed.getFirst(), START, "the crash");
            List<Long> pids = first.awaitReady(2, START);
            args.set(args.indexOf("--port") + 1, Integer.toString(port));
            List<String> takeover = new ArrayList<>(args);
            takeover.add("--takeover");
            Path trace = dir.resolve("takeover.strace");
            Herd next = Herd.start(Herd.newDir(), denyingPidfdGetfd(trace), takeover, Map.of());
            masters.add(next);
            LogEvent event = next.awaitEvent(e -> e.name().equals("master.takeover"), START, "master.takeover");
            assertThat(event.get("kind")).isEqualTo("handover");
            assertThat(event.get("sockets")).isEqualTo("1");
            assertThat(first.awaitExit(Duration.ofSeconds(60))).as("the old master exits 0").isZero();
            assertThat(next.events("worker.adopted")).extracting(LogEvent::pid).containsExactlyInAnyOrderElementsOf(pids);
            assertThat(Http.get(port, "/").status()).isEqualTo(200);
            Shell.Result status = first.cli("status", "--json");
            assertThat(status.code()).as(status.output()).isZero();
            assertThat(status.output().replaceAll("\\s", "")).as("the crashed slot's restart carried over")
                    .containsPattern("\"restarts\":1[,}]");
            assertThat(Files.readString(trace)).as("the takeover copied nothing out of another process")
                    .doesNotContain("pidfd_getfd(");

            // the master dies; an adoption must copy the socket out of a worker, and the injected EPERM stops it
            long masterPid = Long.parseLong(Files.readString(dir.resolve("state/master.pid")).strip());
            Shell.run("kill", "-KILL", Long.toString(masterPid));
            next.awaitExit(Duration.ofSeconds(60));
            Path adoptionTrace = dir.resolve("adoption.strace");
            Herd refused = Herd.start(Herd.newDir(), denyingPidfdGetfd(adoptionTrace), args, Map.of());
            masters.add(refused);
            assertThat(refused.awaitExit(Duration.ofSeconds(60))).isEqualTo(3);
            assertThat(refused.output()).contains("cannot adopt: cannot copy the listening socket out of pid")
                    .contains("adopting needs root");
            assertThat(Files.readString(adoptionTrace)).contains("pidfd_getfd(").contains("EPERM (Operation not permitted) (INJECTED)");
            assertThat(Http.get(port, "/").status()).as("the workers serve meanwhile").isEqualTo(200);

            Herd adopter = Herd.start(Herd.newDir(), args);
            masters.add(adopter);
            assertThat(adopter.awaitEvent(e -> e.name().equals("master.takeover"), START, "adoption").get("kind"))
                    .isEqualTo("adoption");
            adopter.signal("TERM");
            assertThat(adopter.awaitExit(Duration.ofSeconds(60))).isZero();
            assertThat(adopter.events("worker.exited")).extracting(LogEvent::pid).containsExactlyInAnyOrderElementsOf(pids);
        } finally {
            masters.forEach(Herd::close);
        }
    }

    /** A prefix that runs the master with every pidfd_getfd failing with EPERM, each call written to {@code trace}. */
    private static List<String> denyingPidfdGetfd(Path trace) {
        return List.of("strace", "-f", "--seccomp-bpf", "-qq", "-o", trace.toString(), "-e", "trace=pidfd_getfd", "-e", "signal=none",
                "-e", "inject=pidfd_getfd:error=EPERM");
    }

    /** Another user's master is theirs to replace: refused in one line, the running master and its workers untouched. */
    @Test
    void aTakeoverByAnotherUserIsRefusedAndTheRunningMasterGoesOn() throws Exception {
        Path dir = Herd.newDir();
        // only the state dir (0700, the master's) is private, as under /var/lib: the other user can see it is there
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        try (Herd running = Herd.start(dir, Herd.runArgs(dir, "--workers", "1"))) {
            int port = running.awaitPort();
            List<Long> workers = running.awaitReady(1, START);
            List<String> takeover = new ArrayList<>(Herd.runArgs(dir, "--takeover", "--workers", "1"));
            takeover.set(takeover.indexOf("--port") + 1, Integer.toString(port));
            try (Herd other = Herd.start(Herd.newDir(), List.of("setpriv", "--reuid=nobody", "--regid=nogroup",
                    "--clear-groups"), takeover, Map.of())) {
                assertThat(other.awaitExit(Duration.ofSeconds(60))).isEqualTo(3);
                Herd.assertOneLine(other.output(), "cannot take over: the state dir " + dir.resolve("state")
                        + " belongs to uid 0, the running master's user; you are uid 65534; take over as that user");
            }
            assertThat(running.events("master.handing_over")).isEmpty();
            List<Long> expected = new ArrayList<>(workers);
            expected.add(running.pid());
            assertThat(running.processes()).as("the master and its worker, nothing else").containsExactlyInAnyOrderElementsOf(expected);
            assertThat(Http.get(port, "/").status()).isEqualTo(200);
            Shell.Result status = running.cli("status");
            assertThat(status.code()).as(status.output()).isZero();
        }
    }

    @Test
    void withoutTakeoverASecondMasterIsRefusedAndToldAboutIt() throws Exception {
        Path dir = Herd.newDir();
        try (Herd running = Herd.start(dir, Herd.runArgs(dir, "--workers", "1"))) {
            running.awaitReady(1, START);
            try (Herd second = Herd.start(Herd.newDir(), Herd.runArgs(dir, "--workers", "1"))) {
                assertThat(second.awaitExit(Duration.ofSeconds(30))).isEqualTo(3);
                Herd.assertOneLine(second.output(), "take it over (herd run --takeover ...)");
            }
        }
    }
}
