package dev.herd.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 13 item 7: a worker's child that leaves the worker's process group with setsid() (a daemonizing script)
 * and keeps the inherited listening socket is stopped with the worker, through the worker's cgroup; where cgroups
 * are off, process groups still stop workers and their ordinary children, and {@code herd info} says which is used.
 */
@Tag("chaos")
class CgroupContainmentTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration START = Duration.ofSeconds(60);

    @Test
    void aChildThatLeftItsSessionWithTheSocketIsStoppedWithTheWorkerAndThePortCanBeBoundAgain() throws IOException {
        assumeCgroupsUsable();
        Path dir = Herd.newDir();
        Path escapedPidFile = dir.resolve("escaped.pid");
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "1", "--", "/bin/sh", "-c",
                escapingWorker(escapedPidFile)))) {
            int port = herd.awaitPort();
            long worker = herd.awaitReady(1, START).getFirst();
            long escaped = awaitPidFile(escapedPidFile);
            assertThat(holdsSocket(escaped)).as("the escaped child holds the listening socket").isTrue();
            assertThat(stat(escaped, 6)).as("it left the worker's session").isNotEqualTo(stat(worker, 6));

            JsonNode info = info(herd);
            assertThat(info.path("containment").asText()).as(info.toString()).isEqualTo("cgroup");
            String cgroup = info.path("cgroup").asText();
            assertThat(info.path("containmentReason").isNull()).isTrue();
            assertThat(Path.of(cgroup).getFileName().toString()).isEqualTo("herd-" + port + "-" + herd.pid());
            assertThat(pidsBelow(Path.of(cgroup))).contains(worker, escaped);
            assertThat(herd.events("containment")).singleElement()
                    .satisfies(e -> assertThat(e.get("cgroup")).isEqualTo(cgroup));

            herd.signal("TERM");
            assertThat(herd.awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(runs(escaped)).as("the escaped child is gone when the master has exited").isFalse();
            assertThat(Path.of(cgroup)).as("the master removed its cgroups").doesNotExist();

            // still inside the first try: closing it would kill the escaped child (it carries the test's tag)
            Path next = Herd.newDir();
            try (Herd again = Herd.start(next, List.of("run", "--host", "127.0.0.1", "--port", Integer.toString(port),
                    "--state-dir", next.resolve("state").toString(), "--workers", "1"))) {
                assertThat(again.awaitPort()).as("a new master binds the same port: " + again.output()).isEqualTo(port);
                again.awaitReady(1, START);
                assertThat(Http.get(port, "/").status()).isEqualTo(200);
            }
        }
    }

    @Test
    void withCgroupsOffProcessGroupsStillStopWorkersAndTheirChildrenAndInfoSaysSo() throws IOException {
        Path dir = Herd.newDir();
        Path childPidFile = dir.resolve("child.pid");
        String worker = "sleep 1000 & echo $! > " + childPidFile + "; exec " + Workers.demoShell();
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "1", "--", "/bin/sh", "-c", worker),
                Map.of("HERD_CGROUPS", "off"))) {
            herd.awaitPort();
            herd.awaitReady(1, START);
            long child = awaitPidFile(childPidFile);

            JsonNode info = info(herd);
            assertThat(info.path("containment").asText()).isEqualTo("process-group");
            assertThat(info.path("cgroup").isNull()).as(info.toString()).isTrue();
            assertThat(info.path("containmentReason").asText()).isEqualTo("disabled by HERD_CGROUPS=off");
            Shell.Result text = herd.cli("info");
            assertThat(text.output()).containsPattern("containment:\\s+process-group");
            assertThat(herd.events("containment")).singleElement()
                    .satisfies(e -> assertThat(e.get("mode")).isEqualTo("process-group"));

            herd.signal("TERM");
            assertThat(herd.awaitExit(Duration.ofSeconds(30))).isZero();
            await("the worker's child stopped with its process group").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(20)).until(() -> !runs(child));
            assertThat(herd.processes()).isEmpty();
        }
    }

    @Test
    void aMasterThatCannotWriteTheCgroupTreeSaysWhyAndItsProcessGroupsStillStopWorkers() throws IOException {
        assumeCgroupsUsable(); // as root here; the master runs as nobody, who may not write there
        Path dir = Herd.newDir();
        Shell.run("chown", "65534:65534", dir.toString());
        Path childPidFile = dir.resolve("child.pid");
        String worker = "sleep 1000 & echo $! > " + childPidFile + "; exec " + Workers.demoShell();
        List<String> asNobody = List.of("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups");
        try (Herd herd = Herd.start(dir, asNobody, Herd.runArgs(dir, "--workers", "1", "--", "/bin/sh", "-c", worker),
                Map.of("HERD_NO_BUILD", "1"))) {
            herd.awaitPort();
            herd.awaitReady(1, START);
            long child = awaitPidFile(childPidFile);

            JsonNode info = info(herd);
            assertThat(info.path("containment").asText()).as(info.toString()).isEqualTo("process-group");
            assertThat(info.path("containmentReason").asText()).startsWith("cannot create a cgroup in ")
                    .endsWith("run as root or in a delegated cgroup (systemd Delegate=yes)");
            assertThat(herd.events("containment")).singleElement()
                    .satisfies(e -> assertThat(e.get("reason")).isEqualTo(info.path("containmentReason").asText()));

            herd.signal("TERM");
            assertThat(herd.awaitExit(Duration.ofSeconds(30))).isZero();
            await("the worker's child stopped with its process group").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(20)).until(() -> !runs(child));
        }
    }

    @Test
    void theNextMasterOnAPortRemovesAKilledMastersEmptyCgroupsAndKeepsThoseWhoseWorkersStillRun() throws IOException {
        assumeCgroupsUsable();
        Path first = Herd.newDir();
        try (Herd killed = Herd.start(first, Herd.runArgs(first, "--workers", "1"))) {
            int port = killed.awaitPort();
            long orphan = killed.awaitReady(1, START).getFirst();
            JsonNode info = info(killed);
            assertThat(info.path("containment").asText()).as(info.toString()).isEqualTo("cgroup");
            Path stale = Path.of(info.path("cgroup").asText());
            killed.signal("KILL");
            killed.awaitExit(Duration.ofSeconds(10));
            assertThat(Http.get(port, "/").status()).as("the orphan serves on").isEqualTo(200);

            // the same port number on another address: a master that starts while the orphan still runs
            Path second = Herd.newDir();
            try (Herd beside = Herd.start(second, List.of("run", "--host", "127.0.0.2", "--port", Integer.toString(port),
                    "--state-dir", second.resolve("state").toString(), "--workers", "1"))) {
                assertThat(beside.awaitPort()).isEqualTo(port);
                beside.awaitReady(1, START);
                assertThat(beside.events("cgroup.stale_kept")).singleElement()
                        .satisfies(e -> assertThat(e.get("pids")).isEqualTo(Long.toString(orphan)));
                assertThat(pidsBelow(stale)).containsExactly(orphan);
                beside.signal("TERM");
                assertThat(beside.awaitExit(Duration.ofSeconds(30))).isZero();
            }
            assertThat(pidsBelow(stale)).as("a populated cgroup is never removed").containsExactly(orphan);
            assertThat(Http.get(port, "/").status()).as("nor is its worker stopped").isEqualTo(200);

            Shell.run("kill", "-KILL", Long.toString(orphan));
            await("the orphan gone").atMost(Duration.ofSeconds(10)).until(() -> pidsBelow(stale).isEmpty());
            Path third = Herd.newDir();
            try (Herd next = Herd.start(third, List.of("run", "--host", "127.0.0.1", "--port", Integer.toString(port),
                    "--state-dir", third.resolve("state").toString(), "--workers", "1"))) {
                assertThat(next.awaitPort()).isEqualTo(port);
                next.awaitReady(1, START);
                assertThat(stale).as("the killed master's empty cgroups are removed").doesNotExist();
                assertThat(next.events("cgroup.stale_removed")).extracting(e -> e.get("cgroup"))
                        .contains(stale.toString());
            }
        }
    }

    /**
     * The masters run in this JVM's cgroup: these tests need one in which a child cgroup can be made (root, or a
     * delegated cgroup) on a cgroup v2 hierarchy mounted at its root.
     */
    private static void assumeCgroupsUsable() throws IOException {
        String path = Files.readAllLines(Path.of("/proc/self/cgroup")).stream().filter(l -> l.startsWith("0::"))
                .map(l -> l.substring(3)).findFirst().orElse(null);
        assumeThat(path).as("a cgroup v2 hierarchy").isNotNull();
        String mount = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.contains(" - cgroup2 ")).map(l -> l.split(" "))
                .filter(f -> f[3].equals("/")).map(f -> f[4]).findFirst().orElse(null);
        assumeThat(mount).as("cgroup2 mounted").isNotNull();
        Path probe = Path.of(mount + path).resolve("herd-test-probe-" + ProcessHandle.current().pid());
        try {
            Files.createDirectory(probe);
            Files.delete(probe);
        } catch (IOException e) {
            assumeThat(e).as("a child cgroup can be made here").isNull();
        }
    }

    /** A shell worker that first starts a daemon (setsid: own session and group) holding a copy of the socket. */
    private static String escapingWorker(Path pidFile) {
        // an asynchronous command's fd 0 is /dev/null: hand it the socket on fd 3
        return "exec 3<&0; setsid sh -c 'echo $$ > " + pidFile + "; exec sleep 1000' & exec 3<&-; exec "
                + Workers.demoShell();
    }

    private static JsonNode info(Herd herd) throws IOException {
        Shell.Result result = herd.cli("info", "--json");
        assertThat(result.code()).as(result.output()).isZero();
        return JSON.readTree(result.output()).path("result");
    }

    private static long awaitPidFile(Path file) {
        return await("pid in " + file).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    String text = Files.exists(file) ? Files.readString(file).trim() : "";
                    return text.isEmpty() ? null : Long.parseLong(text);
                }, pid -> pid != null);
    }

    /** The pids in the cgroup and every cgroup below it. */
    private static List<Long> pidsBelow(Path cgroup) {
        List<Long> pids = new ArrayList<>();
        if (!Files.isDirectory(cgroup)) {
            return pids;
        }
        try (Stream<Path> procs = Files.walk(cgroup)) {
            for (Path file : procs.filter(p -> p.getFileName().toString().equals("cgroup.procs")).toList()) {
                Files.readAllLines(file).stream().filter(l -> !l.isBlank()).map(Long::parseLong).forEach(pids::add);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pids;
    }

    private static boolean holdsSocket(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("socket:");
                } catch (IOException e) {
                    return false;
                }
            });
        }
    }

    /** Field N (1-based, proc(5)) of /proc/PID/stat, counted after the comm's ')'. */
    private static String stat(long pid, int n) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ")[n - 3];
    }

    /** It exists and is not a zombie waiting for whoever adopted it. */
    private static boolean runs(long pid) {
        try {
            return !stat(pid, 3).equals("Z");
        } catch (IOException e) {
            return false;
        }
    }
}
