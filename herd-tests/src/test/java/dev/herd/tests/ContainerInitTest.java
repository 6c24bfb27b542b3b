package dev.herd.tests;

import org.junit.jupiter.api.Test;

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
 * Issue 18, item 4: Herd as a container's PID 1 ({@code unshare --pid --fork --mount-proc}, as a container runtime
 * starts it): the orphans its workers leave become its children and are reaped instead of piling up as zombies,
 * SIGTERM drains and the exit code is 0. Outside a container the master makes itself the orphans' subreaper, so they
 * come to it rather than to the host's init, and it reaps them too.
 */
class ContainerInitTest {
    /** Each worker leaves two orphans behind (a subshell's background sleep), then becomes the demo. */
    private static String orphaningWorker(String sleep) {
        return "(sleep " + sleep + " &); (sleep " + sleep + " &); exec " + Workers.demoShell();
    }

    @Test
    void asPid1TheMasterReapsOrphansAndDrainsOnSigterm() throws Exception {
        assumeThat(Shell.run("unshare", "--pid", "--fork", "--mount-proc", "true").code())
                .as("unshare --pid --fork --mount-proc (root, util-linux)").isZero();
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2"));
        args.add("--");
        args.addAll(Workers.sh(orphaningWorker("0.3")));
        try (Herd herd = Herd.start(dir, List.of("unshare", "--pid", "--fork", "--mount-proc"), args, Map.of())) {
            herd.awaitEvent(e -> e.name().equals("master.init"), Duration.ofSeconds(30), "master.init (PID 1)");
            int port = herd.awaitPort();
            herd.awaitReady(2, Duration.ofSeconds(60));
            long master = onlyChild(herd.pid()); // unshare forks; its child is PID 1 of the new namespace
            await("4 orphans reaped").atMost(Duration.ofSeconds(15))
                    .until(() -> herd.events("orphan.reaped").size() >= 4);
            assertThat(zombieChildren(master)).as("zombies left with the master").isEmpty();
            assertThat(Http.get(port, "/").status()).isEqualTo(200);

            // handing over would end the container (its init exits): refused, the cluster goes on
            Shell.Result upgrade = herd.cli("upgrade-master");
            assertThat(upgrade.code()).isNotZero();
            assertThat(upgrade.output()).contains("this master is PID 1 of its container");
            assertThat(Http.get(port, "/").status()).isEqualTo(200);

            // a container runtime's stop: SIGTERM to PID 1 (unshare itself does not pass signals on)
            assertThat(Shell.run("kill", "-TERM", Long.toString(master)).code()).isZero();
            assertThat(herd.awaitExit(Duration.ofSeconds(60))).as("unshare exits with PID 1's code").isZero();
            assertThat(herd.events("cluster.stopped")).singleElement()
                    .satisfies(e -> assertThat(e.get("why")).isEqualTo("signal TERM"));
            assertThat(herd.events("worker.exited")).hasSize(2)
                    .allSatisfy(e -> assertThat(e.get("reason")).isEqualTo("stopped"));
        }
    }

    @Test
    void outsideAContainerTheMasterIsTheOrphansSubreaperAndReapsThem() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "1"));
        args.add("--");
        args.addAll(Workers.sh(orphaningWorker("3")));
        try (Herd herd = Herd.start(dir, args)) {
            herd.awaitReady(1, Duration.ofSeconds(60));
            // the orphans' parent is the master, not init
            List<Long> sleeps = await("the orphans under the master").atMost(Duration.ofSeconds(10))
                    .until(() -> children(herd.pid()).stream().filter(p -> comm(p).equals("sleep")).toList(),
                            l -> l.size() == 2);
            await("both reaped").atMost(Duration.ofSeconds(15)).until(() -> herd.events("orphan.reaped").stream()
                    .map(LogEvent::pid).toList().containsAll(sleeps));
            assertThat(zombieChildren(herd.pid())).isEmpty();
        }
    }

    private static long onlyChild(long pid) throws Exception {
        List<Long> children = children(pid);
        assertThat(children).as("children of " + pid).hasSize(1);
        return children.getFirst();
    }

    private static List<Long> children(long pid) {
        List<Long> all = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                String line = Files.readString(task.resolve("children")).trim();
                if (!line.isEmpty()) {
                    for (String child : line.split(" ")) {
                        all.add(Long.parseLong(child));
                    }
                }
            }
        } catch (java.io.IOException e) {
            // gone
        }
        return all;
    }

    private static List<Long> zombieChildren(long pid) {
        return children(pid).stream().filter(p -> state(p).equals("Z")).toList();
    }

    private static String state(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).split(" ")[0];
        } catch (java.io.IOException e) {
            return "gone";
        }
    }

    private static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/comm")).strip();
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
