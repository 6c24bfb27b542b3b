package dev.herd.tests;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Faults Herd already survives, replayed under load, each asserting what was lost: nothing but what the fault
 * itself destroyed. (The hardening scenarios of state dirs, limits, slow clients and full disks have their own
 * classes, tagged the same.)
 */
@Tag("chaos")
class ChaosTest {

    /**
     * A worker SIGKILLed every 500 ms (while another one serves) for 60 s under wrk: the socket never closes, so
     * no connection is refused
     * and none waits into a timeout; only the connections a killed worker held are lost with it.
     */
    @Test
    void aWorkerKilledEveryHalfSecondForAMinuteRefusesNothing() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = Herd.runArgs(dir, "--workers", "4", "--restart-delay", "0",
                "--max-restarts-per-minute", "1000");
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            herd.awaitReady(4, Duration.ofSeconds(60));
            int kills = 0;
            Wrk.Result result;
            try (Wrk wrk = Wrk.start(port, 32, Duration.ofSeconds(90), dir)) {
                wrk.awaitRunning();
                long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < end) {
                    List<Long> ready = herd.liveReadyPids();
                    // a victim every 500 ms while another worker serves: a replacement JVM needs about a second
                    // on two cores, so killing the last ready one too would test an empty cluster's backlog instead
                    if (ready.size() >= 2) {
                        long victim = ready.get(ThreadLocalRandom.current().nextInt(ready.size()));
                        if (Shell.run("kill", "-KILL", Long.toString(victim)).code() == 0) {
                            kills++;
                        }
                    }
                    Thread.sleep(500); // the fault's own cadence, not a wait for the system under test
                }
                herd.awaitReady(4, Duration.ofSeconds(60));
                result = wrk.stop();
            }
            System.out.println("[chaos] worker SIGKILL every 500 ms for 60 s: kills=" + kills + " " + result);
            assertThat(kills).as("kills").isGreaterThanOrEqualTo(20);
            assertThat(result.requests()).as(result.toString()).isGreaterThan(10_000);
            assertThat(result.connectErrors()).as("refused: " + result).isZero();
            assertThat(result.timeouts()).as("stuck: " + result).isZero();
            assertThat(result.non2xx()).as(result.toString()).isZero();
            // a killed worker takes the keep-alive connections it held (at most all 32) with it, nothing else
            assertThat(result.readErrors() + result.writeErrors()).as(result.toString()).isLessThanOrEqualTo(kills * 32L);
            assertThat(herd.events("slot.failed")).isEmpty();
        }
    }

    /** The master SIGKILLed under keep-alive load: its workers hold the socket and go on serving; nothing fails. */
    @Test
    void theMasterKilledUnderLoadLosesNoRequest() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2"))) {
            int port = herd.awaitPort();
            List<Long> workers = herd.awaitReady(2, Duration.ofSeconds(60));
            LoadClient load = LoadClient.keepAlive(port, 4, 1_000_000, Duration.ofSeconds(60));
            try {
                load.awaitRequests(1_000);
                herd.signal("KILL");
                herd.awaitExit(Duration.ofSeconds(10));
                load.awaitRequests(load.completed() + 2_000);
            } finally {
                load.stop();
            }
            System.out.println("[chaos] master SIGKILL under load: " + load.summary());
            assertThat(load.failures()).as(load.summary()).isEmpty();
            assertThat(workers).as("the keep-alive load is served by the master's workers").containsAll(load.pidsSeen());
            // the load's 4 connections were spread over the workers when they were made, perhaps all on one; new
            // connections show that every worker still accepts on the socket the dead master left
            java.util.Set<Long> fresh = new java.util.HashSet<>();
            for (int i = 0; i < 100 && fresh.size() < workers.size(); i++) {
                Http.Response response = Http.get(port, "/");
                assertThat(response.status()).isEqualTo(200);
                fresh.add(response.pid());
            }
            assertThat(fresh).as("workers answering new connections after the master died")
                    .containsExactlyInAnyOrderElementsOf(workers);
        }
    }

    /**
     * A SIGSTOPped worker sends no heartbeats: the watchdog replaces it and kills it. New connections go to the
     * others meanwhile; only requests the stopped worker had already taken are lost (at most one per client thread).
     */
    @Test
    void aStoppedWorkerIsReplacedByTheWatchdog() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2", "--watchdog-timeout", "1500ms"))) {
            int port = herd.awaitPort();
            List<Long> workers = herd.awaitReady(2, Duration.ofSeconds(60));
            long victim = workers.getFirst();
            LoadClient load = LoadClient.newConnectionPerRequest(port, 2, 1_000_000, Duration.ofSeconds(60));
            try {
                load.awaitRequests(300);
                Shell.run("kill", "-STOP", Long.toString(victim));
                LogEvent exited = herd.awaitEvent(e -> e.name().equals("worker.exited") && e.pid() == victim,
                        Duration.ofSeconds(30), "the stopped worker killed");
                assertThat(exited.get("signal")).isEqualTo("KILL");
                herd.awaitReady(2, Duration.ofSeconds(30));
                load.awaitRequests(load.completed() + 500);
            } finally {
                load.stop();
            }
            System.out.println("[chaos] SIGSTOPped worker with the watchdog: " + load.summary());
            assertThat(load.failures()).as(load.summary()).hasSizeLessThanOrEqualTo(2);
            assertThat(load.failures()).as(load.summary())
                    .allSatisfy(f -> assertThat(f.what()).doesNotContain("refused"));
        }
    }
}
