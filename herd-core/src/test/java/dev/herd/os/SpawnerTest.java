package dev.herd.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class SpawnerTest {
    @RegisterExtension
    final Children children = new Children();

    @TempDir
    Path dir;

    @Test
    void exitCodeAndBothStreamsInTheLog() throws IOException {
        Path log = dir.resolve("w.log");
        int pid = children.spawn(List.of("/bin/sh", "-c", "echo hi; echo err >&2; exit 3"), log);
        ExitStatus status = children.waitFor(pid);
        assertThat(status).isEqualTo(new ExitStatus(3, 0));
        assertThat(Files.readAllLines(log)).containsExactly("hi", "err");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(log))).isEqualTo("rw-r--r--");
    }

    @Test
    void logIsAppended() throws IOException {
        Path log = dir.resolve("w.log");
        Files.writeString(log, "before\n");
        children.waitFor(children.spawn(List.of("echo", "after"), log));
        assertThat(Files.readAllLines(log)).containsExactly("before", "after");
    }

    @Test
    void missingProgramIsNamed() {
        assertThatThrownBy(() -> children.spawn(List.of("herd-no-such-program", "x"), dir.resolve("l")))
                .isInstanceOfSatisfying(NativeException.class, e -> {
                    assertThat(e.errnoName()).isEqualTo("ENOENT");
                    assertThat(e.getMessage()).contains("herd-no-such-program");
                });
        assertThatThrownBy(() -> children.spawn(List.of("/no/such/prog"), dir.resolve("l")))
                .isInstanceOfSatisfying(NativeException.class, e -> {
                    assertThat(e.errnoName()).isEqualTo("ENOENT");
                    assertThat(e.getMessage()).startsWith("posix_spawnp(/no/such/prog)");
                });
    }

    @Test
    void nonExecutableProgramIsEacces() throws IOException {
        Path script = Files.writeString(dir.resolve("script.sh"), "#!/bin/sh\nexit 0\n");
        assertThatThrownBy(() -> children.spawn(List.of(script.toString()), dir.resolve("l")))
                .isInstanceOfSatisfying(NativeException.class, e -> {
                    assertThat(e.errnoName()).isEqualTo("EACCES");
                    assertThat(e.getMessage()).contains(script.toString());
                });
    }

    @Test
    void environmentIsExactlyTheRequested() throws IOException {
        Path log = dir.resolve("env.log");
        Map<String, String> env = Map.of("PATH", "/usr/bin:/bin", "HERD_X", "a b=c");
        int pid = children.spawn(new SpawnRequest(List.of("env"), env, null, -1, 0, log));
        assertThat(children.waitFor(pid).code()).isZero();
        assertThat(Files.readAllLines(log)).containsExactlyInAnyOrder("PATH=/usr/bin:/bin", "HERD_X=a b=c");
    }

    @Test
    void programIsSearchedInTheRequestPath() throws IOException {
        Path bin = Files.createDirectory(dir.resolve("bin"));
        Path tool = Files.writeString(bin.resolve("herd-test-tool"), "#!/bin/sh\necho tool ran\n");
        tool.toFile().setExecutable(true);
        Path log = dir.resolve("tool.log");
        int pid = children.spawn(new SpawnRequest(List.of("herd-test-tool"),
                Map.of("PATH", bin + ":/usr/bin:/bin"), null, -1, 0, log));
        assertThat(children.waitFor(pid).code()).isZero();
        assertThat(Files.readAllLines(log)).containsExactly("tool ran");
    }

    @Test
    void workingDirectoryIsSet() throws IOException {
        Path log = dir.resolve("pwd.log");
        Path wd = Files.createDirectory(dir.resolve("wd"));
        int pid = children.spawn(new SpawnRequest(List.of("pwd"), Children.basicEnv(), wd, -1, 0, log));
        assertThat(children.waitFor(pid).code()).isZero();
        assertThat(Files.readAllLines(log)).containsExactly(wd.toRealPath().toString());
    }

    @Test
    void childIsInItsOwnSessionWithDefaultSignals() {
        int pid = children.spawn(List.of("sleep", "30"), dir.resolve("l"));
        await().atMost(Duration.ofSeconds(5)).until(() -> isExec(pid, "sleep"));
        String[] stat = ProcFs.statFields(pid);
        assertThat(Integer.parseInt(stat[ProcFs.STAT_SESSION])).isEqualTo(pid);
        assertThat(Integer.parseInt(stat[5 - 3])).as("process group").isEqualTo(pid);
        Map<String, String> status = procStatus(pid);
        assertThat(status.get("SigBlk")).isEqualTo("0000000000000000");
        assertThat(status.get("SigIgn")).isEqualTo("0000000000000000");
    }

    @Test
    void socketOnFd0AndNoOtherFdsLeak() throws IOException {
        try (ListenSocket socket = ListenSocket.open(new InetSocketAddress("127.0.0.1", 0), 8, false)) {
            Path log = dir.resolve("fd0.log");
            int pid = children.spawn(new SpawnRequest(List.of("sleep", "30"), Children.basicEnv(), null,
                    socket.fd(), 0, log));
            await().atMost(Duration.ofSeconds(5)).until(() -> isExec(pid, "sleep"));
            Map<Integer, String> fds = fdLinks(pid);
            assertThat(fds).containsOnlyKeys(0, 1, 2);
            assertThat(fds.get(0)).isEqualTo("socket:[" + socket.inode() + "]");
            assertThat(fds.get(1)).isEqualTo(log.toString());
            assertThat(fds.get(2)).isEqualTo(log.toString());
        }
    }

    @Test
    void socketOnFd3WithListenFdsAndOwnListenPid() throws IOException {
        try (ListenSocket socket = ListenSocket.open(new InetSocketAddress("127.0.0.1", 0), 8, false)) {
            Path log = dir.resolve("fd3.log");
            int pid = children.spawn(new SpawnRequest(List.of("sleep", "30"), Children.basicEnv(), null,
                    socket.fd(), 3, log));
            // The /bin/sh wrapper execs sleep: same pid.
            await().atMost(Duration.ofSeconds(5)).until(() -> isExec(pid, "sleep"));
            Map<Integer, String> fds = fdLinks(pid);
            assertThat(fds).containsOnlyKeys(0, 1, 2, 3);
            assertThat(fds.get(0)).isEqualTo("/dev/null");
            assertThat(fds.get(1)).isEqualTo(log.toString());
            assertThat(fds.get(3)).isEqualTo("socket:[" + socket.inode() + "]");
            Map<String, String> env = environ(pid);
            assertThat(env).containsEntry("LISTEN_FDS", "1")
                    .containsEntry("LISTEN_PID", Integer.toString(pid))
                    .containsEntry("PATH", "/usr/local/bin:/usr/bin:/bin");
        }
    }

    @Test
    void requestValidation() {
        assertThatThrownBy(() -> new SpawnRequest(List.of(), Map.of(), null, -1, 0, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SpawnRequest(List.of("x"), Map.of(), null, 5, 1, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SpawnRequest(List.of("x"), Map.of("A=B", "c"), null, -1, 0, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    static boolean isExec(int pid, String program) throws IOException {
        byte[] cmdline = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
        String argv0 = new String(cmdline, StandardCharsets.UTF_8).split("\0", 2)[0];
        return argv0.equals(program) || argv0.endsWith("/" + program);
    }

    static Map<Integer, String> fdLinks(int pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.collect(Collectors.toMap(p -> Integer.parseInt(p.getFileName().toString()), p -> {
                try {
                    return Files.readSymbolicLink(p).toString();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, (a, b) -> a, TreeMap::new));
        }
    }

    static Map<String, String> environ(int pid) throws IOException {
        String raw = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/environ")), StandardCharsets.UTF_8);
        return Arrays.stream(raw.split("\0")).filter(s -> s.contains("="))
                .collect(Collectors.toMap(s -> s.substring(0, s.indexOf('=')), s -> s.substring(s.indexOf('=') + 1)));
    }

    static Map<String, String> procStatus(int pid) {
        try {
            return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                    .filter(l -> l.contains(":"))
                    .collect(Collectors.toMap(l -> l.substring(0, l.indexOf(':')),
                            l -> l.substring(l.indexOf(':') + 1).trim(), (a, b) -> a));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
