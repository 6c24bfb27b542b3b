package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 3, must-show 1: 20 consecutive reloads while wrk (HTTP/1.1 keep-alive, 32 connections) runs against the
 * demo worker: zero socket errors, zero non-2xx, every response from a live generation.
 */
class ReloadUnderLoadTest {

    static final int RELOADS = 20;

    @Test
    void twentyReloadsUnderWrkLoseNothing() {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "4"))) {
            ReloadRun.run(herd, dir, RELOADS, "demo");
        }
    }

    /** The reload-under-load procedure, shared with the Jetty example's test; {@link #reloads} with every reload test. */
    static final class ReloadRun {
        private ReloadRun() {
        }

        static void run(Herd herd, Path dir, int reloads, String label) {
            run(herd, dir, 4, reloads, label);
        }

        static void run(Herd herd, Path dir, int workers, int reloads, String label) {
            int port = herd.awaitPort();
            herd.awaitReady(workers, Duration.ofSeconds(60));
            Wrk.Result result;
            List<Long> durations;
            try (Wrk wrk = Wrk.start(port, 32, Duration.ofSeconds(300), dir)) {
                wrk.awaitRunning();
                durations = reloads(herd, reloads);
                // the last reload is done when every slot runs the new generation; wrk's connections reach it once
                // the old workers have drained them (stopping wrk at "done" lost that race once on a busy machine)
                List<Long> old = herd.events("worker.ready").stream()
                        .filter(e -> !String.valueOf(reloads + 1).equals(e.get("generation"))).map(LogEvent::pid).toList();
                herd.awaitExited(old, Duration.ofSeconds(60), "the old generations' workers");
                result = wrk.stop();
            }
            System.out.println("[reload-under-load " + label + "] " + reloads + " reloads (ms each: " + durations
                    + "), wrk -t1 -c32: " + result);
            assertThat(result.requests()).isPositive();
            assertThat(result.socketErrors()).as("socket errors\n" + result.output()).isZero();
            assertThat(result.non2xx()).as("non-2xx\n" + result.output()).isZero();
            assertThat(result.unparsed()).as("responses without a generation").isZero();
            Set<Integer> live = IntStream.rangeClosed(1, reloads + 1).boxed().collect(Collectors.toSet());
            assertThat(result.generations().keySet()).isSubsetOf(live).contains(1, reloads + 1);
            assertThat(herd.events("reload.done")).hasSize(reloads);
            assertThat(herd.events("reload.failed")).isEmpty();
            // the old generations are gone: every worker now answering is of the last one
            for (int i = 0; i < 40; i++) {
                try {
                    assertThat(Http.get(port, "/").generation()).isEqualTo(reloads + 1);
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            }
        }

        /**
         * {@code reloads} reloads under {@code wrk -t2 -c32} keep-alive load, {@code wrk} at the lowest CPU priority
         * (yielding, so that the new workers' JVMs start in seconds while it keeps both cores busy when it can),
         * checked: no socket error, no non-2xx answer, every reload done. For the real servers' tests (Jetty and
         * Tomcat distributions, Spring Boot, Node), whose answers carry no generation.
         */
        static Wrk.Result underWrk(Herd herd, Path dir, int reloads, String label, boolean yielding) {
            int port = herd.awaitPort();
            Wrk.Result result;
            List<Long> durations;
            try (Wrk wrk = yielding ? Wrk.startYielding(port, 2, 32, Duration.ofSeconds(600), dir)
                    : Wrk.start(port, 2, 32, Duration.ofSeconds(600), dir)) {
                wrk.awaitRunning();
                durations = reloads(herd, reloads);
                result = wrk.stop();
            }
            System.out.println("[" + label + "] " + reloads + " reloads (ms each: " + durations + "), wrk -t2 -c32: "
                    + result);
            assertThat(result.requests()).isPositive();
            assertThat(result.socketErrors()).as("socket errors\n" + result.output()).isZero();
            assertThat(result.non2xx()).as("non-2xx\n" + result.output()).isZero();
            assertThat(herd.events("reload.done")).hasSize(reloads);
            assertThat(herd.events("reload.failed")).isEmpty();
            return result;
        }

        /**
         * {@code herd reload}, {@code count} times back to back (generation 1 to {@code count + 1}), each awaited and
         * checked; returns how long each took, in ms.
         */
        static List<Long> reloads(Herd herd, int count) {
            List<Long> durations = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                long started = System.nanoTime();
                Shell.Result reload = herd.cli("reload");
                durations.add((System.nanoTime() - started) / 1_000_000);
                assertThat(reload.code()).as(reload.output()).isZero();
                assertThat(reload.output()).contains("reload done: generation " + (i + 2));
            }
            return durations;
        }
    }
}
