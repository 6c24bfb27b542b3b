package dev.herd.tests;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The state directory as another local user would attack it, and as a second master or a killed one leaves it:
 * a master uses only directories private to its user, never follows a link planted where its files go, takes an
 * exclusive lock before it creates or starts anything, and names the workers a killed master left holding the port.
 */
@Tag("chaos")
class StateDirectoryTest {
    private static final int NOBODY = 65534;

    /** The repro: another user made the per-user /tmp directory first, with a key of theirs and a planted link. */
    @Test
    void aForeignDefaultStateDirIsRefusedAndNothingOfTheMastersGoesThere() throws Exception {
        Path tmp = Herd.newDir();
        Path secret = Files.writeString(tmp.resolve("secret"), "root only\n");
        Path userDir = tmp.resolve("herd-root");
        Path stateDir = userDir.resolve("0");
        Files.createDirectories(stateDir.resolve("logs"));
        Files.writeString(stateDir.resolve("access.key"), "attackerkey-0123456789abcdef\n");
        Files.createSymbolicLink(stateDir.resolve("logs/worker-0.log"), secret);
        for (Path path : List.of(userDir, stateDir, stateDir.resolve("logs"), stateDir.resolve("access.key"),
                stateDir.resolve("logs/worker-0.log"))) {
            chown(path, NOBODY);
            if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxrwxrwx"));
            }
        }
        try (Herd herd = Herd.start(tmp, defaultStateArgs(), defaultStateEnv(tmp))) {
            assertThat(herd.awaitExit(Duration.ofSeconds(30))).isEqualTo(3);
            Herd.assertOneLine(herd.output(), "state-dir: " + userDir + " (above the directory Herd uses) is owned by uid 65534");
            assertThat(herd.processes()).isEmpty();
        }
        assertThat(Files.readString(secret)).isEqualTo("root only\n");
        try (Stream<Path> files = Files.list(stateDir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("logs", "access.key");
        }
    }

    /** Without anyone's interference the per-user directory and the state dir are made 0700 and the master serves. */
    @Test
    void theDefaultStateDirIsCreatedPrivate() throws Exception {
        Path tmp = Herd.newDir();
        assertThat(Shell.run("chmod", "1777", tmp.toString()).code()).isZero(); // like /tmp
        try (Herd herd = Herd.start(tmp, defaultStateArgs(), defaultStateEnv(tmp))) {
            herd.awaitPort();
            for (Path dir : List.of(tmp.resolve("herd-root"), tmp.resolve("herd-root/0"), tmp.resolve("herd-root/0/logs"))) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS)))
                        .as(dir.toString()).isEqualTo("rwx------");
            }
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("herd-root/0/access.key"))))
                    .isEqualTo("rw-------");
        }
    }

    @Test
    void aForeignRuntimeDirIsRefused() throws Exception {
        Path tmp = Herd.newDir();
        Path runtime = Files.createDirectory(tmp.resolve("runtime"));
        chown(runtime, NOBODY);
        Map<String, String> env = Map.of("XDG_RUNTIME_DIR", runtime.toString(),
                "HERD_JAVA_OPTS", "-Djava.io.tmpdir=" + tmp);
        try (Herd herd = Herd.start(tmp, defaultStateArgs(), env)) {
            assertThat(herd.awaitExit(Duration.ofSeconds(30))).isEqualTo(3);
            Herd.assertOneLine(herd.output(), "state-dir: " + runtime + " (above the directory Herd uses) is owned by uid 65534");
        }
        assertThat(runtime.resolve("herd")).doesNotExist();
    }

    @Test
    void aStateDirThatIsALinkOrOpenToOthersIsRefused() throws Exception {
        Path dir = Herd.newDir();
        Path real = Files.createDirectory(dir.resolve("real"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Files.createSymbolicLink(dir.resolve("state"), real);
        assertRefused(dir, Herd.runArgs(dir), "state-dir: " + dir.resolve("state") + " is a symbolic link");
        assertThat(real).isEmptyDirectory();

        Path open = Herd.newDir();
        Files.createDirectory(open.resolve("state"));
        Files.setPosixFilePermissions(open.resolve("state"), PosixFilePermissions.fromString("rwxrwxrwx"));
        assertRefused(open, Herd.runArgs(open), "state-dir: " + open.resolve("state") + " is writable by others (mode 0777)");

        Path foreign = Herd.newDir();
        chown(Files.createDirectory(foreign.resolve("state")), NOBODY);
        assertRefused(foreign, Herd.runArgs(foreign), "is owned by uid 65534, not by you");

        Path logs = Herd.newDir();
        Path elsewhere = Files.createDirectory(logs.resolve("elsewhere"));
        Files.createSymbolicLink(logs.resolve("logs"), elsewhere);
        assertRefused(logs, Herd.runArgs(logs, "--log-dir", logs.resolve("logs").toString()),
                "log-dir: " + logs.resolve("logs") + " is a symbolic link");
        assertThat(elsewhere).isEmptyDirectory();
    }

    @Test
    void anAccessKeyFileThatOthersCanReadOrThatIsNotYoursIsRefused() throws Exception {
        Path dir = Herd.newDir();
        Path state = Files.createDirectory(dir.resolve("state"));
        Path key = Files.writeString(state.resolve("access.key"), "0123456789abcdef0123456789abcdef\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        assertRefused(dir, Herd.runArgs(dir), "access key file " + key + " is open to others (mode 0644)");

        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        chown(key, NOBODY);
        assertRefused(dir, Herd.runArgs(dir), "access key file " + key + " is owned by uid 65534, not by you");

        Path given = Herd.newDir();
        Path target = Files.writeString(given.resolve("target.key"), "0123456789abcdef0123456789abcdef\n");
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));
        Files.createSymbolicLink(given.resolve("link.key"), target);
        try (Herd herd = Herd.start(given, Herd.runArgs(given, "--access-key-file", given.resolve("link.key").toString()))) {
            assertThat(herd.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
            Herd.assertOneLine(herd.output(), "access-key-file " + given.resolve("link.key") + " is a symbolic link");
        }
    }

    /**
     * The second repro: a second master on the first one's state dir (another port) used to delete the
     * first's notify sockets and start a second log copier. Now it stops at the lock; the first, under load, still
     * replaces a crashed worker and reloads.
     */
    @Test
    void aSecondMasterOnTheSameStateDirTouchesNothingOfTheFirst() throws Exception {
        Path dir = Herd.newDir();
        try (Herd first = Herd.start(dir, Herd.runArgs(dir, "--workers", "2"))) {
            int port = first.awaitPort();
            List<Long> workers = first.awaitReady(2, Duration.ofSeconds(60));
            List<String> stateBefore = listing(dir.resolve("state"));
            LoadClient load = LoadClient.newConnectionPerRequest(port, 2, 1_000_000, Duration.ofSeconds(90));
            try {
                load.awaitRequests(200);
                Path other = Herd.newDir();
                try (Herd second = Herd.start(other, Herd.runArgs(dir))) { // another port (0), the first's state dir
                    assertThat(second.awaitExit(Duration.ofSeconds(30))).isEqualTo(3);
                    Herd.assertOneLine(second.output(), "another master (pid " + first.pid() + ") is running with state dir "
                            + dir.resolve("state"));
                    assertThat(second.processes()).isEmpty();
                }
                assertThat(listing(dir.resolve("state"))).isEqualTo(stateBefore);
                assertThat(load.failures()).as("while the second master tried: " + load.summary()).isEmpty();

                Shell.run("kill", "-KILL", Long.toString(workers.getFirst()));
                first.awaitEvent(e -> e.name().equals("worker.ready") && !workers.contains(e.pid()),
                        Duration.ofSeconds(60), "the crashed worker's replacement ready");
                Shell.Result reload = first.cli("reload");
                assertThat(reload.code()).as(reload.output()).isZero();
                load.awaitRequests(load.completed() + 200);
            } finally {
                load.stop();
            }
            // the SIGKILL destroys the requests that worker had taken (one per client thread at most), nothing else
            assertThat(load.failures()).as(load.summary()).hasSizeLessThanOrEqualTo(2)
                    .allSatisfy(f -> assertThat(f.what()).isEqualTo("new connection closed before any response"));
            Shell.Result health = first.cli("health");
            assertThat(health.code()).as(health.output()).isZero();
            // the reload is done once the old workers closed the socket; their exits follow
            await("the reloaded workers' exits").atMost(Duration.ofSeconds(30))
                    .until(() -> first.events("worker.exited").size() >= 3);
            assertThat(first.events("worker.exited")).as("only the SIGKILLed worker and the two reloaded ones exited")
                    .hasSize(3);
        }
    }

    /**
     * After a master SIGKILL its workers keep the port; a next master that cannot adopt them (here: the killed one
     * left no cluster.json, as a Herd before adoption did) names them and how to stop them.
     */
    @Test
    void theNextMasterNamesTheWorkersAKilledMasterLeftHoldingThePortWhenItCannotAdoptThem() throws Exception {
        Path dir = Herd.newDir();
        try (Herd killed = Herd.start(dir, Herd.runArgs(dir, "--workers", "2"))) {
            int port = killed.awaitPort();
            List<Long> workers = killed.awaitReady(2, Duration.ofSeconds(60));
            killed.signal("KILL");
            killed.awaitExit(Duration.ofSeconds(10));
            Files.delete(dir.resolve("state/cluster.json"));

            List<String> samePort = new ArrayList<>(Herd.runArgs(dir, "--workers", "2"));
            samePort.set(samePort.indexOf("--port") + 1, Integer.toString(port));
            Path second = Herd.newDir();
            String stop;
            try (Herd next = Herd.start(second, samePort)) {
                assertThat(next.awaitExit(Duration.ofSeconds(30))).isEqualTo(3);
                String output = next.output();
                Herd.assertOneLine(output, "port " + port + " is still held by 2 workers of an earlier Herd master");
                for (long pid : workers) {
                    assertThat(output).contains("pid " + pid + " slot ");
                }
                stop = output.substring(output.indexOf("stop them with: ") + "stop them with: ".length()).strip();
                assertThat(stop).startsWith("kill -TERM -- ");
            }
            assertThat(Http.get(port, "/").status()).as("the orphans still serve").isEqualTo(200);

            Shell.Result stopped = Shell.run("bash", "-c", stop);
            assertThat(stopped.code()).as(stopped.output()).isZero();
            await("the orphans gone").atMost(Duration.ofSeconds(30))
                    .until(() -> workers.stream().noneMatch(pid -> Files.exists(Path.of("/proc/" + pid))));
            Path third = Herd.newDir();
            try (Herd next = Herd.start(third, samePort)) {
                assertThat(next.awaitPort()).isEqualTo(port);
                next.awaitReady(2, Duration.ofSeconds(60));
                assertThat(next.output()).doesNotContain("state.orphans");
            }
        }
    }

    private static void assertRefused(Path dir, List<String> args, String expected) {
        try (Herd herd = Herd.start(dir, args)) {
            assertThat(herd.awaitExit(Duration.ofSeconds(30))).isEqualTo(3);
            Herd.assertOneLine(herd.output(), expected);
            assertThat(herd.processes()).isEmpty();
        }
    }

    private static List<String> defaultStateArgs() {
        return List.of("run", "--host", "127.0.0.1", "--port", "0", "--workers", "1");
    }

    /** The master's default state dir under a test's own temporary directory: {@code TMP/herd-root/0}. */
    private static Map<String, String> defaultStateEnv(Path tmp) {
        return Map.of("HERD_JAVA_OPTS", "-Djava.io.tmpdir=" + tmp, "XDG_RUNTIME_DIR", "");
    }

    /** The master's files, less the logs and the channel sockets (a worker's is removed once it connected). */
    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> !p.toString().contains("/logs/") && !p.toString().endsWith(".chan"))
                    .map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    private static void chown(Path path, int uid) throws IOException {
        Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(path, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
    }
}
