package dev.herd.runtime;

import dev.herd.os.Cgroup;
import dev.herd.os.OwnCgroup;
import dev.herd.os.Processes;
import dev.herd.os.SpawnRequest;
import dev.herd.os.Spawner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * The master's cgroup subtree with real cgroups under this JVM's own (skipped where none can be made). The ports
 * are above 65535 so that no real master's subtree is ever touched.
 */
class WorkerCgroupsTest {
    private static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin");
    private final List<Cgroup> made = new ArrayList<>();
    private final List<Integer> children = new ArrayList<>();
    private Cgroup own;

    @BeforeEach
    void needsCgroups() {
        try {
            own = OwnCgroup.find();
            Cgroup probe = own.createChild("herd-probe-" + ProcessHandle.current().pid());
            probe.removeIfEmpty();
        } catch (IllegalStateException | IOException e) {
            assumeThat(e).as("a cgroup of our own is needed").isNull();
        }
    }

    @AfterEach
    void cleanUp() throws IOException {
        for (int pid : children) {
            Processes.signal(pid, dev.herd.os.Signal.KILL);
            Processes.waitFor(pid);
        }
        for (Cgroup cgroup : made.reversed()) {
            for (Cgroup child : cgroup.children()) {
                await().atMost(Duration.ofSeconds(5)).until(() -> !child.populated());
                child.removeIfEmpty();
            }
            cgroup.removeIfEmpty();
        }
    }

    @Test
    void offByTheVariable() {
        try (WorkerCgroups cgroups = WorkerCgroups.open(70001, Map.of("HERD_CGROUPS", "off"))) {
            assertThat(cgroups.containment()).isEqualTo(dev.herd.command.Containment.processGroup(
                    "disabled by HERD_CGROUPS=off"));
            assertThat(cgroups.newWorkerCgroup(0)).isNull();
        }
    }

    @Test
    void aSubtreePerMasterAWorkerCgroupPerWorkerAllRemovedOnceEmpty() throws IOException {
        Path subtree = own.dir().resolve("herd-70002-" + ProcessHandle.current().pid());
        made.add(new Cgroup(subtree));
        try (WorkerCgroups cgroups = WorkerCgroups.open(70002, Map.of())) {
            assertThat(cgroups.containment()).isEqualTo(new dev.herd.command.Containment("cgroup", subtree.toString(), null));
            Files.createDirectory(subtree.resolve("worker-0-0")); // e.g. left by an earlier master: not reused
            Cgroup first = cgroups.newWorkerCgroup(0);
            Cgroup second = cgroups.newWorkerCgroup(1);
            assertThat(first.dir()).isEqualTo(subtree.resolve("worker-0-1"));
            assertThat(second.dir()).isEqualTo(subtree.resolve("worker-1-2"));

            int pid = spawnInto(first);
            await().atMost(Duration.ofSeconds(5)).until(() -> first.pids().contains((long) pid));
            cgroups.killAndRemove(first);
            assertThat(Processes.waitFor(pid).signal()).isEqualTo(9);
            children.remove((Integer) pid);
            await("the killed cgroup removed off the caller's thread").atMost(Duration.ofSeconds(5))
                    .until(() -> !Files.exists(first.dir()));
            assertThat(second.dir()).exists();
        }
        assertThat(subtree).as("close removes every empty cgroup and the subtree").doesNotExist();
    }

    @Test
    void atStartAKilledMastersEmptyCgroupsGoThoseWithProcessesStayAndALiveMastersAreNotTouched() throws IOException {
        int deadPid = deadPid();
        Cgroup dead = made(own, "herd-70003-" + deadPid);
        Cgroup deadEmpty = made(dead, "worker-0-0");
        Cgroup deadBusy = made(dead, "worker-1-1");
        int orphan = spawnInto(deadBusy);
        await().atMost(Duration.ofSeconds(5)).until(() -> deadBusy.pids().contains((long) orphan));
        Cgroup otherPort = made(own, "herd-70004-" + deadPid);
        made(otherPort, "worker-0-0");
        Cgroup live = made(own, "herd-70003-1"); // pid 1 runs
        Cgroup liveWorker = made(live, "worker-0-0");

        try (WorkerCgroups cgroups = WorkerCgroups.open(70003, Map.of())) {
            made.add(new Cgroup(Path.of(cgroups.containment().cgroup())));
            cgroups.start(java.util.Set.of());
        }
        assertThat(deadEmpty.dir()).doesNotExist();
        assertThat(deadBusy.pids()).as("a populated cgroup is kept, its process untouched").containsExactly((long) orphan);
        assertThat(otherPort.dir()).as("empty cgroups of killed masters on other ports go too").doesNotExist();
        assertThat(liveWorker.dir()).as("a live master's cgroups are its own").exists();
    }

    private Cgroup made(Cgroup parent, String name) throws IOException {
        Cgroup cgroup = parent.createChild(name);
        made.add(cgroup);
        return cgroup;
    }

    private int spawnInto(Cgroup cgroup) {
        int pid = Spawner.spawn(new SpawnRequest(List.of("sleep", "300"), ENV, null, -1, 0, null, cgroup.procsFile()));
        children.add(pid);
        return pid;
    }

    /** A pid that no process has now: a child's, once reaped. */
    private static int deadPid() {
        int pid = Spawner.spawn(new SpawnRequest(List.of("true"), ENV, null, -1, 0, null));
        Processes.waitFor(pid);
        return pid;
    }
}
