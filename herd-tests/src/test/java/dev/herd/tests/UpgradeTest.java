package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 3, must-shows 3 and 4: upgrades with a canary, rolled back on failure. */
class UpgradeTest {

    private static List<String> demoArgs(Path dir, String... extra) {
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--canary-seconds", "1"));
        args.addAll(List.of(extra));
        args.add("--");
        args.addAll(Workers.sh("exec " + Workers.demoShell()));
        return args;
    }

    /** Records the version of every answer, in order, while an upgrade runs. */
    private static final class VersionProbe implements AutoCloseable {
        final ConcurrentLinkedQueue<String> versions = new ConcurrentLinkedQueue<>();
        final List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;

        VersionProbe(int port) {
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            thread = Thread.ofPlatform().daemon().start(() -> {
                while (!stop.get() && System.nanoTime() < deadline) {
                    try {
                        Http.Response response = Http.get(port, "/");
                        if (response.status() != 200) {
                            failures.add("status " + response.status());
                        }
                        versions.add(response.body().replaceAll(".*\"version\":\"([^\"]*)\".*\\s*", "$1"));
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                }
            });
        }

        /** Marks a point in the answer stream. */
        void mark(String label) {
            versions.add("|" + label);
        }

        /** Stops probing and waits for the last answer; close() does the same. */
        void stop() throws InterruptedException {
            stop.set(true);
            thread.join(Duration.ofSeconds(30));
        }

        @Override
        public void close() {
            try {
                stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void upgradeToACommandThatCrashesAtStartRollsBackAndKeepsServing() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, demoArgs(dir))) {
            int port = herd.awaitPort();
            List<Long> before = herd.awaitReady(2, Duration.ofSeconds(60));
            Shell.Result upgrade;
            try (VersionProbe probe = new VersionProbe(port)) {
                upgrade = herd.cli("upgrade", "--", "/bin/sh", "-c", "echo 'v2 cannot start'; exit 3");
                probe.stop();
                System.out.println("[upgrade-crash] " + upgrade.output().strip() + "; probe answers="
                        + probe.versions.size() + " failures=" + probe.failures);
                assertThat(probe.failures).isEmpty();
                assertThat(probe.versions).isNotEmpty().containsOnly("v1");
            }
            assertThat(upgrade.code()).isEqualTo(1);
            assertThat(upgrade.output()).contains("upgrade of generation 2 failed", "exit code 3", "(rolled back)");
            LogEvent failed = herd.awaitEvent(e -> e.name().equals("reload.failed"), Duration.ofSeconds(5), "failure event");
            assertThat(failed.get("kind")).isEqualTo("upgrade");
            assertThat(failed.get("reason")).contains("exited with exit code 3");
            assertThat(failed.get("outcome")).contains("rolled back", "generation 1 kept serving");
            assertThat(herd.liveReadyPids()).containsExactlyInAnyOrderElementsOf(before);
            Http.Response after = Http.get(port, "/");
            assertThat(after.generation()).isEqualTo(1);
        }
    }

    @Test
    void goodUpgradeRollsEverySlotAndTheNewVersionAppearsOnlyAfterIt() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, demoArgs(dir))) {
            int port = herd.awaitPort();
            herd.awaitReady(2, Duration.ofSeconds(60));
            Shell.Result upgrade;
            List<String> answers;
            try (VersionProbe probe = new VersionProbe(port)) {
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> probe.versions.size() >= 5);
                probe.mark("upgrade");
                List<String> args = new ArrayList<>(List.of("--env", "HERD_APP_VERSION=v2", "--"));
                args.addAll(Workers.sh("exec " + Workers.demoShell()));
                upgrade = herd.cli("upgrade", args.toArray(String[]::new));
                probe.mark("done");
                // a few answers after the upgrade has completed
                int seen = probe.versions.size();
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                        .until(() -> probe.versions.size() >= seen + 20);
                probe.stop();
                answers = List.copyOf(probe.versions);
                assertThat(probe.failures).isEmpty();
            }
            System.out.println("[upgrade-good] " + upgrade.output().strip());
            assertThat(upgrade.code()).as(upgrade.output()).isZero();
            assertThat(upgrade.output()).contains("upgrade done: generation 2 on slots [0,1]");
            int start = answers.indexOf("|upgrade");
            int done = answers.indexOf("|done");
            assertThat(answers.subList(0, start)).containsOnly("v1");
            // The probe is one sequential client: the single request in flight when "done" was marked may still be
            // answered by a draining v1 worker. Every request sent after it must be v2.
            assertThat(answers.subList(done + 2, answers.size())).isNotEmpty().containsOnly("v2");
            assertThat(answers.subList(start, done)).contains("v2"); // the canary served during the upgrade
            assertThat(herd.events("reload.canary")).hasSize(1);
            assertThat(herd.events("reload.slot_replaced")).hasSize(2);
        }
    }

    @Test
    void upgradeToAMissingProgramIsRefusedAtOnce() {
        Path dir = Herd.newDir();
        try (Herd herd = Herd.start(dir, demoArgs(dir))) {
            herd.awaitPort();
            herd.awaitReady(2, Duration.ofSeconds(60));
            Shell.Result upgrade = herd.cli("upgrade", "--", "/nonexistent/app");
            assertThat(upgrade.code()).isEqualTo(1);
            assertThat(upgrade.output().strip()).isEqualTo("herd: command not found: '/nonexistent/app' does not exist");
            assertThat(herd.events("reload.begun")).isEmpty();
        }
    }

    @Test
    void controlCommandsWithoutAMasterSayWhatIsWrong() {
        Path dir = Herd.newDir();
        Shell.Result status = Shell.run(Herd.LAUNCHER.toString(), "status", "--state-dir", dir.toString());
        assertThat(status.code()).isEqualTo(3);
        assertThat(status.output().strip()).startsWith("herd: no master is running with state dir " + dir);
    }
}
