package dev.herd.tests;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 18, item 2: how workers are started. A root master runs its workers as another user (made for the test, with
 * a supplementary group), in another directory, with an env file and variables, a umask and an open-files limit; the
 * test reads each worker's /proc entry to see them, sends requests so that the workers report counters on their
 * channel socket, and has a second cluster's workers tell the master they are ready on their notify socket: the two
 * sockets Herd hands them must be reachable, nothing else of the state dir. Bad settings stop the master with one line.
 */
class WorkerProcessTest {
    private static final String SUFFIX = Integer.toString(ThreadLocalRandom.current().nextInt(10000, 99999));
    private static final String USER = "herdt" + SUFFIX;
    private static final String EXTRA_GROUP = "herdx" + SUFFIX;
    private static boolean madeAccounts;

    @BeforeAll
    static void makeUser() {
        assumeThat(Shell.run("id", "-u").output().strip()).as("switching the workers' user needs root").isEqualTo("0");
        assumeThat(Files.isExecutable(Path.of("/usr/sbin/useradd"))).as("useradd (passwd) makes the test's user").isTrue();
        assertThat(Shell.run("groupadd", "--system", EXTRA_GROUP).code()).isZero();
        Shell.Result user = Shell.run("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                "--user-group", "--groups", EXTRA_GROUP, USER);
        madeAccounts = true;
        assertThat(user.code()).as(user.output()).isZero();
    }

    @AfterAll
    static void removeUser() {
        if (madeAccounts) {
            Shell.run("userdel", USER);
            Shell.run("groupdel", EXTRA_GROUP);
        }
    }

    @Test
    void workersRunAsTheUserWithItsGroupsDirectoryEnvironmentUmaskAndLimit() throws Exception {
        Path dir = reachableDir();
        Path app = Files.createDirectory(dir.resolve("app"));
        Path envFile = dir.resolve("app.env");
        Files.writeString(envFile, "# the app's settings\nGREETING=\"hello world\" # a comment\nexport MODE=prod\n");
        Files.setPosixFilePermissions(envFile, PosixFilePermissions.fromString("rw-------"));
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2", "--user", USER, "--umask", "027",
                "--nofile", "4242", "--chdir", app.toString(), "--env-file", envFile.toString(), "--env", "MODE=dev",
                "--env", "JAVA_TOOL_OPTIONS=-Dherd.e2e=1"))) {
            List<Long> pids = herd.awaitReady(2, Duration.ofSeconds(60));
            int port = herd.awaitPort();
            int uid = Integer.parseInt(Shell.run("id", "-u", USER).output().strip());
            int gid = Integer.parseInt(Shell.run("id", "-g", USER).output().strip());
            int extra = Integer.parseInt(Shell.run("getent", "group", EXTRA_GROUP).output().split(":")[2]);
            for (long pid : pids) {
                Map<String, String> status = status(pid);
                assertThat(status.get("Uid").split("\\s+")).containsOnly(Integer.toString(uid));
                assertThat(status.get("Gid").split("\\s+")).containsOnly(Integer.toString(gid));
                assertThat(status.get("Groups").split("\\s+")).containsExactlyInAnyOrder(
                        Integer.toString(gid), Integer.toString(extra));
                assertThat(status.get("Umask")).isEqualTo("0027");
                assertThat(status.get("CapEff")).isEqualTo("0000000000000000");
                assertThat(Files.readAllLines(Path.of("/proc/" + pid + "/limits"))).anyMatch(
                        l -> l.matches("Max open files\\s+4242\\s+4242\\s+files\\s*"));
                assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/cwd"))).isEqualTo(app);
                List<String> env = List.of(Files.readString(Path.of("/proc/" + pid + "/environ")).split("\0"));
                assertThat(env).contains("GREETING=hello world", "MODE=dev", "JAVA_TOOL_OPTIONS=-Dherd.e2e=1", "USER=" + USER, "LOGNAME=" + USER,
                        "HOME=/nonexistent");
            }
            // the master itself is unchanged
            assertThat(status(herd.pid()).get("Uid").split("\\s+")).containsOnly("0");

            // the workers reach their channel sockets: the counters they send there show in herd workers
            for (int i = 0; i < 20; i++) {
                assertThat(Http.get(port, "/").status()).isEqualTo(200);
            }
            await("request counters over the channel").atMost(Duration.ofSeconds(10)).until(() ->
                    herd.cli("workers", "--json").output().matches("(?s).*\"requests\" : [1-9].*"));

            // and nothing else of the state dir: the user cannot read the access key or list the directory
            Path state = dir.resolve("state");
            assertThat(asUser("cat", state.resolve("access.key").toString()).code()).isNotZero();
            assertThat(asUser("ls", state.toString()).code()).isNotZero();
            assertThat(asUser("ls", state.resolve("logs").toString()).code()).isNotZero();
        }
    }

    @Test
    void workersAsTheUserCanSayTheyAreReadyOnTheirNotifySocket() throws Exception {
        Path dir = reachableDir();
        String worker = "import os, socket, time\n"
                + "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
                + "s.sendto(b'READY=1', os.environ['NOTIFY_SOCKET'])\n"
                + "time.sleep(600)\n";
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--user", USER,
                "--ready-when", "notify", "--start-timeout", "20s"));
        args.addAll(List.of("--", "/usr/bin/python3", "-c", worker));
        try (Herd herd = Herd.start(dir, args)) {
            List<Long> pids = herd.awaitReady(2, Duration.ofSeconds(30));
            for (long pid : pids) {
                assertThat(status(pid).get("Uid").split("\\s+")).containsOnly(
                        Shell.run("id", "-u", USER).output().strip());
            }
        }
    }

    @Test
    void aStateDirTheWorkersCannotEnterIsOneLineBeforeAnythingStarts() throws Exception {
        Path dir = Herd.newDir(); // mode 0700: the user cannot pass through it
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "1", "--user", USER))) {
            assertThat(herd.awaitExit(Duration.ofSeconds(30))).isEqualTo(3);
            Herd.assertOneLine(herd.output(), "cannot pass through " + dir + " (mode 0700)");
        }
    }

    @Test
    void badProcessSettingsAreOneLineAndExitTwo() throws Exception {
        Path dir = reachableDir();
        Path writable = dir.resolve("open.env");
        Files.writeString(writable, "A=1\n");
        Files.setPosixFilePermissions(writable, PosixFilePermissions.fromString("rw-rw-rw-"));
        Path broken = dir.resolve("broken.env");
        Files.writeString(broken, "A=1\nnot a variable\n");
        Path privateDir = Herd.newDir(); // 0700
        Path hidden = privateDir.resolve("server.sh");
        Files.writeString(hidden, "#!/bin/sh\nexec sleep 600\n");
        Files.setPosixFilePermissions(hidden, PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<List<String>, String> cases = Map.of(
                List.of("--user", USER, "--", hidden.toString()), "command: workers running as uid "
                        + Shell.run("id", "-u", USER).output().strip() + " cannot run '" + hidden + "' (" + hidden
                        + "): " + privateDir + " (mode 0700) does not let them through",
                List.of("--user", "no-such-user-" + SUFFIX), "user: no such user 'no-such-user-" + SUFFIX + "'",
                List.of("--group", "no-such-group-" + SUFFIX), "group: no such group 'no-such-group-" + SUFFIX + "'",
                List.of("--env-file", dir.resolve("missing.env").toString()), "env-file: " + dir.resolve("missing.env")
                        + ": no such file",
                List.of("--env-file", writable.toString()), "is writable by others (mode 0666)",
                List.of("--env-file", broken.toString()), "env-file: " + broken + ":2: 'not a variable' is not NAME=value",
                List.of("--umask", "0999"), "'0999' is not a umask",
                List.of("--chdir", dir.resolve("nowhere").toString()), "chdir: '" + dir.resolve("nowhere")
                        + "' is not a directory",
                List.of("--nofile", "999999999"), "nofile: '999999999' is above the kernel's ceiling",
                List.of("--env", "1X=2"), "env: '1X=2' needs a variable name");
        for (Map.Entry<List<String>, String> c : cases.entrySet()) {
            List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "1"));
            args.addAll(c.getKey());
            try (Herd herd = Herd.start(dir, args)) {
                assertThat(herd.awaitExit(Duration.ofSeconds(30))).as(String.join(" ", c.getKey())).isEqualTo(2);
                Herd.assertOneLine(herd.output(), c.getValue());
            }
        }
    }

    /** A test dir the workers' user may pass through (the state dir below it is Herd's to open for them). */
    private static Path reachableDir() throws Exception {
        Path dir = Herd.newDir();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        return dir;
    }

    private static Shell.Result asUser(String... command) {
        List<String> line = new ArrayList<>(List.of("setpriv", "--reuid=" + USER, "--regid=" + USER, "--init-groups", "--"));
        line.addAll(List.of(command));
        return Shell.run(line);
    }

    private static Map<String, String> status(long pid) throws Exception {
        Map<String, String> fields = new java.util.HashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return fields;
    }
}
