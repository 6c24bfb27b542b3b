package dev.herd.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Real cgroups, under this process's own cgroup; skipped where it cannot make one (not root, no delegation). */
class CgroupTest {
    @RegisterExtension
    final Children children = new Children();

    @TempDir
    Path dir;

    private Cgroup test;

    @BeforeEach
    void createTestCgroup() {
        Cgroup own;
        try {
            own = OwnCgroup.find();
            test = own.createChild("herd-unit-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        } catch (IllegalStateException | IOException e) {
            assumeThat(e).as("a cgroup of our own is needed").isNull();
        }
    }

    @AfterEach
    void removeTestCgroup() throws IOException {
        if (test != null) {
            for (Cgroup child : test.children()) {
                child.kill();
                await().atMost(Duration.ofSeconds(5)).until(() -> !child.populated());
                child.removeIfEmpty();
            }
            test.kill();
            await().atMost(Duration.ofSeconds(5)).until(() -> !test.populated());
            assertThat(test.removeIfEmpty()).isTrue();
        }
    }

    @Test
    void theWorkerIsInItsCgroupFromItsFirstInstructionAndKillingItTakesWhatLeftItsSession() throws IOException {
        Cgroup worker = test.createChild("worker-0-0");
        Path escapedPid = dir.resolve("escaped.pid");
        // the worker's first act is to start a child in a session of its own, then it becomes sleep
        String script = "setsid sh -c 'echo $$ > " + escapedPid + "; exec sleep 300' & exec sleep 300";
        int pid = children.spawn(new SpawnRequest(List.of("/bin/sh", "-c", script), Children.basicEnv(), null, -1, 0,
                dir.resolve("w.log"), worker.procsFile()));
        await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(escapedPid) && !Files.readString(escapedPid).isBlank());
        long escaped = Long.parseLong(Files.readString(escapedPid).trim());
        await().atMost(Duration.ofSeconds(5)).until(() -> worker.pids().containsAll(List.of((long) pid, escaped)));
        assertThat(statField(escaped, 6)).as("left the worker's session").isNotEqualTo(statField(pid, 6));

        assertThat(worker.populated()).isTrue();
        assertThat(worker.removeIfEmpty()).as("a populated cgroup stays").isFalse();
        worker.kill();
        assertThat(children.waitFor(pid).signal()).isEqualTo(Signal.KILL.number());
        await().atMost(Duration.ofSeconds(5)).until(() -> !worker.populated());
        assertThat(runs(escaped)).as("the escaped child").isFalse();
        assertThat(worker.removeIfEmpty()).isTrue();
        assertThat(Files.exists(worker.dir())).isFalse();
        worker.kill(); // gone: nothing to do, no error
        assertThat(worker.populated()).isFalse();
    }

    /** Field N (1-based, as in proc(5)) of /proc/PID/stat; the comm may hold spaces, so count after its ')'. */
    private static String statField(long pid, int n) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ")[n - 3];
    }

    /** Running: it exists and is not a zombie waiting for whoever adopted it. */
    private static boolean runs(long pid) {
        try {
            return !statField(pid, 3).equals("Z");
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void systemdStyleSocketAndCgroupTogetherKeepThePidAndListenPid() throws IOException {
        Cgroup worker = test.createChild("worker-1-0");
        try (ListenSocket socket = ListenSocket.open(new InetSocketAddress("127.0.0.1", 0), 8, false)) {
            int pid = children.spawn(new SpawnRequest(List.of("sleep", "30"), Children.basicEnv(), null, socket.fd(), 3,
                    dir.resolve("w.log"), worker.procsFile()));
            await().atMost(Duration.ofSeconds(5)).until(() -> Files.readString(Path.of("/proc/" + pid + "/comm")).trim()
                    .equals("sleep"));
            assertThat(worker.pids()).containsExactly((long) pid);
            assertThat(Files.readString(Path.of("/proc/" + pid + "/environ"))).contains("LISTEN_PID=" + pid + "\0")
                    .contains("LISTEN_FDS=1\0");
            assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/3")).toString())
                    .isEqualTo("socket:[" + socket.inode() + "]");
        }
    }

    @Test
    void aWorkerThatCannotJoinItsCgroupDoesNotStartAndSaysWhy() throws IOException {
        Path missing = test.dir().resolve("no-such-cgroup").resolve("cgroup.procs");
        Path log = dir.resolve("w.log");
        int pid = children.spawn(new SpawnRequest(List.of("/bin/sh", "-c", "echo started"), Children.basicEnv(), null,
                -1, 0, log, missing));
        assertThat(children.waitFor(pid).code()).isEqualTo(125);
        assertThat(Files.readString(log)).doesNotContain("started")
                .contains("herd: cannot move the worker into its cgroup (write to " + missing + " failed)");
    }
}
