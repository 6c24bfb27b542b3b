package dev.herd.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Worker logs under faults and hostile files: a full log disk loses no line the spool holds and copying resumes by
 * itself, a link planted in the log directory is never followed, scaling down leaves no log file open, a line longer
 * than 64 KiB is passed on in marked pieces.
 */
class LogSafetyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void linksPlantedAtTheLogTheRotatedLogAndTheSpoolAreNeverFollowed() throws Exception {
        Path dir = Herd.newDir();
        Path logs = dir.resolve("state/logs");
        Files.createDirectories(logs.resolve(".spool"));
        Files.setPosixFilePermissions(logs.resolve(".spool"), PosixFilePermissions.fromString("rwx------"));
        Path outside = Files.writeString(dir.resolve("outside.txt"), "SECRET-LOG-TARGET\n");
        Path outsideSpool = Files.writeString(dir.resolve("outside-spool.txt"), "SECRET-SPOOL-TARGET\n");
        Path outsideRotated = Files.writeString(dir.resolve("outside-rotated.txt"), "SECRET-ROTATED-TARGET\n");
        Files.createSymbolicLink(logs.resolve("worker-0.log"), outside);
        Files.createSymbolicLink(logs.resolve("worker-0.log.1"), outsideRotated);
        Files.createSymbolicLink(logs.resolve(".spool/worker-0.out"), outsideSpool);
        String ticker = "n=0; while true; do echo \"tick $n\"; n=$((n+1)); sleep 0.1; done";
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "1", "--ready-when", "started",
                "--", "/bin/sh", "-c", ticker));
             HttpClient client = HttpClient.newHttpClient()) {
            herd.awaitPort();
            herd.awaitReady(1, Duration.ofSeconds(30));
            Path log = logs.resolve("worker-0.log");
            await("worker-0.log, a regular file with ticks").atMost(Duration.ofSeconds(30))
                    .until(() -> Files.isRegularFile(log, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                            && Files.readString(log).contains("tick 3\n"));

            assertThat(Files.readString(outside)).isEqualTo("SECRET-LOG-TARGET\n");
            assertThat(Files.readString(outsideSpool)).isEqualTo("SECRET-SPOOL-TARGET\n");
            assertThat(Files.readString(outsideRotated)).isEqualTo("SECRET-ROTATED-TARGET\n");
            assertThat(Files.isSymbolicLink(logs.resolve(".spool/worker-0.out"))).isFalse();

            Shell.Result cli = herd.cli("logs", "0", "-n", "1000");
            assertThat(cli.code()).isZero();
            assertThat(cli.output()).contains("tick 3").doesNotContain("SECRET");
            String url = Files.readString(dir.resolve("state/api.url")).trim();
            String key = Files.readString(dir.resolve("state/access.key")).trim();
            HttpResponse<String> http = client.send(HttpRequest.newBuilder(URI.create(url + "/logs?slot=0&lines=1000"))
                    .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(http.statusCode()).isEqualTo(200);
            assertThat(http.body()).contains("tick 3").doesNotContain("SECRET");

            // each refusal names the path
            assertThat(herd.output()).contains("event=logs.unsafe_file path=" + logs.resolve("worker-0.log"))
                    .contains("event=logs.unsafe_file path=" + logs.resolve(".spool/worker-0.out"))
                    .contains("event=logs.unsafe_file path=" + logs.resolve("worker-0.log.1"));
        }
    }

    @Test
    void scalingDownLeavesNoLogFileOfTheRemovedSlotsOpenInTheMaster() throws Exception {
        Path dir = Herd.newDir();
        String ticker = "n=0; while true; do echo \"tick $HERD_WORKER_ID $n\"; n=$((n+1)); sleep 0.2; done";
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "4", "--ready-when", "started",
                "--drain-timeout", "5s", "--", "/bin/sh", "-c", ticker))) {
            herd.awaitPort();
            herd.awaitReady(4, Duration.ofSeconds(60));
            Path logs = dir.resolve("state/logs");
            await("the master copies every slot's log").atMost(Duration.ofSeconds(30))
                    .until(() -> logFds(herd.pid(), logs).stream().filter(f -> f.contains("worker-3.")).count() >= 2);
            System.out.println("[logs] master's log fds at 4 workers: " + logFds(herd.pid(), logs));

            Shell.Result down = herd.cli("scale", "1");
            assertThat(down.code()).as(down.output()).isZero();
            await("3 removed workers exited").atMost(Duration.ofSeconds(30))
                    .until(() -> herd.events("worker.exited").size() >= 3);
            await("no log file of slots 1-3 open in the master").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> logFds(herd.pid(), logs).stream().noneMatch(f -> f.matches(".*worker-[123]\\..*")));
            // slot 0 still logs
            long before = Files.size(logs.resolve("worker-0.log"));
            await("slot 0 still copied").atMost(Duration.ofSeconds(30))
                    .until(() -> Files.size(logs.resolve("worker-0.log")) > before);
            System.out.println("[logs] master's log fds at 1 worker: " + logFds(herd.pid(), logs));
        }
    }

    @Test
    void aLineLongerThan64KiBIsPassedOnInMarkedPieces() throws Exception {
        Path dir = Herd.newDir();
        // 150 KiB of 'a' without a newline, then one, then a short line
        String longLine = "head -c 153600 /dev/zero | tr '\\0' a; echo; echo after; exec sleep 600";
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "1", "--ready-when", "started",
                "--", "/bin/sh", "-c", longLine))) {
            herd.awaitPort();
            Path log = dir.resolve("state/logs/worker-0.log");
            await("the long line and the next").atMost(Duration.ofSeconds(30))
                    .until(() -> Files.exists(log) && Files.readString(log).endsWith("after\n"));
            List<String> lines = Files.readAllLines(log);
            assertThat(lines).hasSize(4);
            assertThat(lines.get(0)).isEqualTo("a".repeat(65536));
            assertThat(lines.get(1)).isEqualTo("[continued] " + "a".repeat(65536));
            assertThat(lines.get(2)).isEqualTo("[continued] " + "a".repeat(153600 - 2 * 65536));
            assertThat(lines.get(3)).isEqualTo("after");
        }
    }

    /**
     * The log directory on a 2 MiB tmpfs, filled up while the worker writes: lines already in the spool are copied
     * once space returns, on the master's own timer (the worker writes nothing more), each whole and in order; what
     * is missing is only what the worker's own writes were told failed (ENOSPC).
     */
    @Test
    @Tag("chaos")
    void aFullLogDiskLosesNoLineOfTheSpoolAndCopyingResumesByItself() throws Exception {
        Path dir = Herd.newDir();
        Path logs = dir.resolve("logs");
        Files.createDirectories(logs);
        Shell.Result mount = Shell.run("mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", logs.toString());
        assertThat(mount.code()).as("mount: " + mount.output()).isZero();
        Path go = dir.resolve("go");
        Path written = dir.resolve("written");
        Path failed = dir.resolve("failed");
        // 300 lines, then (once the disk is full) 300 more, about 27 KB: within the spool's 32 KiB reserve; then 3,000
        // more, beyond it. Each write the worker is told failed is noted outside the tmpfs.
        String pad = "x".repeat(80);
        String worker = "i=0; while [ $i -lt 300 ]; do echo \"line $i " + pad + "\"; i=$((i+1)); done; "
                + "while [ ! -e " + go + " ]; do sleep 0.05; done; "
                + "while [ $i -lt 3600 ]; do echo \"line $i " + pad + "\" 2>/dev/null || echo $i >> " + failed + "; i=$((i+1)); done; "
                + "touch " + written + "; exec sleep 600";
        try {
            try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "1", "--ready-when", "started",
                    "--log-dir", logs.toString(), "--", "/bin/sh", "-c", worker))) {
                herd.awaitPort();
                Path log = logs.resolve("worker-0.log");
                await("the first 300 lines copied").atMost(Duration.ofSeconds(30))
                        .until(() -> Files.exists(log) && Files.readString(log).contains("line 299 "));

                // fill the disk to the last block
                Shell.run("sh", "-c", "cat /dev/zero > " + logs.resolve("filler"));
                Files.writeString(go, "");
                await("the worker wrote the rest").atMost(Duration.ofSeconds(60)).until(() -> Files.exists(written));
                herd.awaitEvent(e -> e.name().equals("logs.failing") && "0".equals(e.get("slot")), Duration.ofSeconds(30),
                        "logs.failing");
                JsonNode health = JSON.readTree(herd.cli("exec", "health").output()).path("result");
                assertThat(health.path("logs").asText()).as(health.toString()).isEqualTo("failing");
                assertThat(health.path("logsFailing").get(0).path("slot").asInt()).isZero();
                assertThat(health.path("logsFailing").get(0).path("error").asText()).contains("No space left on device");
                assertThat(herd.cli("health").output()).contains(", logs failing (slot 0: cannot write " + logs.resolve("worker-0.log"));

                Path spool = logs.resolve(".spool/worker-0.out");
                long spoolSize = Files.size(spool);
                Files.delete(logs.resolve("filler"));
                // no new output from here on: the master's timer alone resumes the copy
                herd.awaitEvent(e -> e.name().equals("logs.recovered") && "0".equals(e.get("slot")), Duration.ofSeconds(30),
                        "logs.recovered");
                assertThat(Files.size(spool)).as("the worker wrote nothing after the disk was freed").isEqualTo(spoolSize);
                JsonNode after = JSON.readTree(herd.cli("exec", "health").output()).path("result");
                assertThat(after.path("logs").asText()).isEqualTo("ok");

                Set<Integer> toldFailed = Files.exists(failed) ? Set.copyOf(Files.readAllLines(failed).stream()
                        .map(Integer::parseInt).toList()) : Set.of();
                List<String> expected = new ArrayList<>();
                for (int i = 0; i < 3600; i++) {
                    if (!toldFailed.contains(i)) {
                        expected.add("line " + i + " " + pad);
                    }
                }
                await("every line in the log, whole and in order").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    List<String> got = new ArrayList<>(Files.readAllLines(log));
                    // a write that failed part-way leaves its first part: a line of its own, never joined to the next
                    got.removeIf(line -> toldFailed.stream().anyMatch(i -> ("line " + i + " " + pad).startsWith(line)
                            && !line.equals("line " + i + " " + pad)));
                    assertThat(got).isEqualTo(expected);
                });
                List<String> all = Files.readAllLines(log);
                long pieces = all.size() - expected.size();
                assertThat(toldFailed).as("lines written within the spool's reserve all landed").noneMatch(i -> i < 600);
                System.out.println("[logs] full disk: " + expected.size() + " lines copied, " + toldFailed.size()
                        + " writes the worker was told failed, " + pieces + " of them left a first part (a line of its own)");
            }
        } finally {
            Shell.run("umount", "-l", logs.toString());
        }
    }

    /** The targets of the master's open fds that lie in the log directory. */
    private static List<String> logFds(long pid, Path logs) {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    return ""; // closed meanwhile
                }
            }).filter(target -> target.startsWith(logs.toString())).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
