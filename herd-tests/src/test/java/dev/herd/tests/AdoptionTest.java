package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 16, adoption after a crash: the master is SIGKILLed under load, a new {@code herd run} on the same state
 * dir two seconds later finds the workers from their records, copies the listening socket(s) out of a live one and
 * becomes their master with none restarted; the clients see nothing of it. The same master then reloads them, and
 * stops them, as its own.
 */
class AdoptionTest {
    private static final Duration START = Duration.ofSeconds(60);
    /** How long the cluster runs without a master: the scenario's "a new herd run 2 s later". */
    private static final Duration MASTERLESS = Duration.ofSeconds(2);

    @Test
    void aNewMasterAdoptsTheWorkersOfAKilledOneInSharedModeUnderLoadWithNoErrorAndNoRestart() throws Exception {
        adoptUnderLoad("shared", List.of("--workers", "2"), 2);
    }

    @Test
    void aNewMasterAdoptsAStickyReusePortGroupKeepingEachClientOnItsSlot() throws Exception {
        adoptUnderLoad("reuseport", List.of("--workers", "4", "--mode", "reuseport", "--sticky"), 4);
    }

    private static void adoptUnderLoad(String label, List<String> extra, int workers) throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir));
        args.addAll(extra);
        try (Herd killed = Herd.start(dir, args)) {
            int port = killed.awaitPort();
            List<Long> pids = killed.awaitReady(workers, START);
            if (label.equals("reuseport")) {
                awaitEverySlotSticky(killed, workers);
            }
            Map<String, Integer> slotBySource = label.equals("reuseport") ? slotsBySource(port) : Map.of();
            Wrk.Result result;
            try (Wrk wrk = Wrk.start(port, 2, 32, Duration.ofSeconds(300), dir)) {
                wrk.awaitRunning();
                killed.signal("KILL");
                killed.awaitExit(Duration.ofSeconds(10));
                masterless(port);
                try (Herd next = Herd.start(Herd.newDir(), args)) {
                    LogEvent takeover = next.awaitEvent(e -> e.name().equals("master.takeover"), START, "master.takeover");
                    assertThat(next.awaitPort()).isEqualTo(port);
                    assertThat(takeover.get("kind")).isEqualTo("adoption");
                    assertThat(takeover.get("from_pid")).isEqualTo(Long.toString(killed.pid()));
                    assertThat(takeover.get("workers")).isEqualTo(Integer.toString(workers));
                    assertThat(takeover.get("sockets")).isEqualTo(label.equals("reuseport") ? "4" : "1");
                    assertThat(next.events("worker.adopted")).extracting(LogEvent::pid)
                            .containsExactlyInAnyOrderElementsOf(pids);
                    assertThat(next.events("worker.forked")).as("no worker restarted").isEmpty();
                    if (!slotBySource.isEmpty()) {
                        assertThat(slotsBySource(port)).as("each client on its slot across the adoption")
                                .isEqualTo(slotBySource);
                    }
                    // the adopted workers are this master's own: it reloads them under the same load
                    Shell.Result reload = killed.cli("reload"); // its directory holds the state dir
                    assertThat(reload.code()).as(reload.output()).isZero();
                    result = wrk.stop();
                    System.out.println("[adoption " + label + "] wrk -t2 -c32 across a master SIGKILL, "
                            + MASTERLESS.toSeconds() + " s without a master, the adoption and a reload: " + result);
                    assertThat(result.requests()).isPositive();
                    assertThat(result.socketErrors()).as("socket errors\n" + result.output()).isZero();
                    assertThat(result.non2xx()).as("non-2xx\n" + result.output()).isZero();
                    next.awaitExited(pids, Duration.ofSeconds(60), "the adopted workers drained after the reload");
                    assertThat(next.events("worker.exited")).allSatisfy(e ->
                            assertThat(e.get("status")).isEqualTo("unknown: adopted, not this master's child"));
                    next.signal("TERM");
                    assertThat(next.awaitExit(Duration.ofSeconds(60))).isZero();
                    assertThat(next.processes()).isEmpty();
                    assertThat(dir.resolve("state/master.pid")).as("removed on a clean exit").doesNotExist();
                    assertThat(dir.resolve("state/cluster.json")).doesNotExist();
                    try (var records = Files.list(dir.resolve("state/workers"))) {
                        assertThat(records.toList()).as("no worker record left").isEmpty();
                    }
                }
            }
        }
    }

    /** The workers serve on while no master runs (the scenario's two seconds, checked all along). */
    private static void masterless(int port) {
        long until = System.nanoTime() + MASTERLESS.toNanos();
        await("two seconds without a master").atMost(MASTERLESS.plusSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    assertThat(Http.get(port, "/").status()).isEqualTo(200);
                    return System.nanoTime() >= until;
                });
    }

    /** Waits until the sticky program steers to every slot (each one's clients on their own slot). */
    static void awaitEverySlotSticky(Herd herd, int workers) {
        String all = String.join(",", java.util.stream.IntStream.range(0, workers).mapToObj(Integer::toString).toList());
        await("the sticky program over every slot").atMost(START).pollInterval(Duration.ofMillis(20)).until(() -> {
            List<LogEvent> updates = herd.events("sticky.updated");
            return !updates.isEmpty() && updates.getLast().get("slots_serving").equals(all);
        });
    }

    static Map<String, Integer> slotsBySource(int port) throws IOException {
        Map<String, Integer> slots = new HashMap<>();
        for (String source : StickySessionsTest.SOURCES) {
            try (Http http = new Http("127.0.0.1", port, source)) {
                Http.Response response = http.request("/", false);
                assertThat(response.status()).isEqualTo(200);
                slots.put(source, response.slot());
            }
        }
        return slots;
    }

    /**
     * Nothing a worker writes while its master is dead is lost: it goes on writing into its spool, and the adopting
     * master copies on from the offset the killed one saved.
     */
    @Test
    void everyLineAWorkerWritesWhileNoMasterRunsReachesItsLog() throws Exception {
        Path dir = Herd.newDir();
        // a worker that numbers its lines, 200 a second, and serves nothing (readiness: started)
        String script = "i=0; while :; do echo \"line $i\"; i=$((i+1)); sleep 0.005; done";
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "1", "--ready-when", "started",
                "--", "bash", "-c", script));
        try (Herd killed = Herd.start(dir, args)) {
            killed.awaitPort();
            long worker = killed.awaitReady(1, START).getFirst();
            Path log = dir.resolve("state/logs/worker-0.log");
            await("lines copied").atMost(START).until(() -> Files.exists(log) && Files.size(log) > 0);
            killed.signal("KILL");
            killed.awaitExit(Duration.ofSeconds(10));
            long linesAtKill = lines(log);
            Path spool = dir.resolve("state/logs/.spool/worker-0.out");
            long spoolAtKill = Files.size(spool);
            await("the worker writes on without a master").atMost(Duration.ofSeconds(10))
                    .until(() -> Files.size(spool) > spoolAtKill + 2000);
            try (Herd next = Herd.start(Herd.newDir(), args)) {
                next.awaitEvent(e -> e.name().equals("master.takeover"), START, "master.takeover");
                assertThat(next.events("worker.adopted")).extracting(LogEvent::pid).containsExactly(worker);
                await("lines written after the kill copied").atMost(Duration.ofSeconds(30))
                        .until(() -> lines(log) > linesAtKill + 200);
                next.signal("TERM");
                assertThat(next.awaitExit(Duration.ofSeconds(60))).isZero();
            }
            List<Integer> numbers = Files.readAllLines(log).stream().filter(l -> l.contains("line "))
                    .map(l -> Integer.parseInt(l.substring(l.lastIndexOf("line ") + 5).trim())).toList();
            int last = numbers.stream().mapToInt(Integer::intValue).max().orElseThrow();
            assertThat(last).as("lines written after the kill").isGreaterThan((int) linesAtKill + 200);
            // a crash of the master may copy the lines after its last saved offset twice, never lose one
            assertThat(new java.util.TreeSet<>(numbers)).as("every line from the first to the last")
                    .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(0, last).boxed().toList());
            System.out.println("[adoption logs] " + (last + 1) + " lines, " + (numbers.size() - last - 1)
                    + " copied twice (after the killed master's last saved offset)");
        }
    }

    private static long lines(Path log) throws IOException {
        try (var lines = Files.lines(log)) {
            return lines.count();
        }
    }

    /**
     * Proxy mode: the killed master was the data path, so clients are refused until the next one binds the public
     * port again; its workers, on their own ports, are adopted as they are.
     */
    @Test
    void aNewMasterAdoptsProxyModeWorkersOnTheirOwnPorts() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = Herd.runArgs(dir, "--workers", "2", "--mode", "proxy");
        try (Herd killed = Herd.start(dir, args)) {
            int port = killed.awaitPort();
            List<Long> pids = killed.awaitReady(2, START);
            killed.signal("KILL");
            killed.awaitExit(Duration.ofSeconds(10));
            try (Herd next = Herd.start(Herd.newDir(), args)) {
                next.awaitEvent(e -> e.name().equals("master.takeover"), START, "master.takeover");
                assertThat(next.awaitPort()).isEqualTo(port);
                assertThat(next.events("worker.adopted")).extracting(LogEvent::pid).containsExactlyInAnyOrderElementsOf(pids);
                java.util.Set<Long> served = new java.util.HashSet<>();
                for (int i = 0; i < 20; i++) {
                    Http.Response response = Http.get(port, "/");
                    assertThat(response.status()).isEqualTo(200);
                    served.add(response.pid());
                }
                assertThat(served).as("both adopted workers serve through the new proxy")
                        .containsExactlyInAnyOrderElementsOf(pids);
                assertThat(next.events("worker.forked")).isEmpty();
            }
        }
    }

    /** Workers of an earlier master in another mode are refused with one line, and left running untouched. */
    @Test
    void aMasterInAnotherModeRefusesToAdoptAndLeavesTheWorkersAlone() throws Exception {
        Path dir = Herd.newDir();
        try (Herd killed = Herd.start(dir, Herd.runArgs(dir, "--workers", "2"))) {
            int port = killed.awaitPort();
            List<Long> workers = killed.awaitReady(2, START);
            killed.signal("KILL");
            killed.awaitExit(Duration.ofSeconds(10));
            List<String> reusePort = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--mode", "reuseport"));
            reusePort.set(reusePort.indexOf("--port") + 1, Integer.toString(port));
            try (Herd next = Herd.start(Herd.newDir(), reusePort)) {
                assertThat(next.awaitExit(Duration.ofSeconds(30))).isEqualTo(3);
                Herd.assertOneLine(next.output(), "cannot adopt: the state dir's 2 workers (pid " + killed.pid()
                        + "'s) run in shared mode on port " + port + "; this master asks for reuseport mode");
                assertThat(next.output()).contains("kill -TERM -- -" + workers.getFirst());
            }
            assertThat(killed.processes()).containsExactlyInAnyOrderElementsOf(workers);
            assertThat(Http.get(port, "/").status()).as("they serve on").isEqualTo(200);
        }
    }

    /**
     * A record whose pid now names another process (the worker died and the number went to someone else) is not a
     * worker: the next master adopts nothing, says which record it dropped, starts its own worker, and never signals
     * the process that has the number now.
     */
    @Test
    void aRecordWhosePidNowNamesAnotherProcessAdoptsNothingAndSaysSo() throws Exception {
        Path dir = Herd.newDir();
        Process stranger = new ProcessBuilder("sleep", "120").start();
        try (Herd killed = Herd.start(dir, Herd.runArgs(dir, "--workers", "1"))) {
            int port = killed.awaitPort();
            long worker = killed.awaitReady(1, START).getFirst();
            killed.signal("KILL");
            killed.awaitExit(Duration.ofSeconds(10));
            Shell.run("kill", "-KILL", "--", "-" + worker); // the worker's process group: it and its children
            await("the worker gone").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(25))
                    .until(() -> ProcessHandle.of(worker).map(ProcessHandle::isAlive).orElse(false), alive -> !alive);
            // its record now names the stranger, as if the pid had been reused
            Path records = dir.resolve("state/workers");
            String record = Files.readString(records.resolve(Long.toString(worker)));
            Files.delete(records.resolve(Long.toString(worker)));
            Files.writeString(records.resolve(Long.toString(stranger.pid())),
                    record.replace("\"pid\":" + worker, "\"pid\":" + stranger.pid()));
            List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "1"));
            args.set(args.indexOf("--port") + 1, Integer.toString(port));
            try (Herd next = Herd.start(Herd.newDir(), args)) {
                LogEvent stale = next.awaitEvent(e -> e.name().equals("state.stale_records"), START, "state.stale_records");
                assertThat(stale.get("records")).contains(Long.toString(stranger.pid()));
                long fresh = next.awaitReady(1, START).getFirst();
                assertThat(fresh).isNotEqualTo(stranger.pid());
                assertThat(next.events("worker.adopted")).isEmpty();
                assertThat(next.events("master.takeover")).isEmpty();
                assertThat(Http.get(port, "/").status()).isEqualTo(200);
                next.signal("TERM");
                assertThat(next.awaitExit(Duration.ofSeconds(60))).isZero();
            }
            assertThat(records.resolve(Long.toString(stranger.pid()))).as("the stale record removed").doesNotExist();
            assertThat(stranger.isAlive()).as("the process with the reused pid untouched").isTrue();
        } finally {
            stranger.destroyForcibly();
        }
    }
}
