package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 18, item 3: systemd socket activation in. With systemd's own {@code systemd-socket-activate} (which binds the
 * port, waits for the first connection and then execs Herd with {@code LISTEN_FDS=1} and its pid in
 * {@code LISTEN_PID}) the first connection, made before Herd even started, is answered by a worker; a launcher that
 * passes SO_REUSEPORT sockets the way a {@code .socket} unit with {@code ReusePort=yes} does feeds reuseport mode; and
 * every mismatch (address, count, mode, no SO_REUSEPORT) is one line, exit 2, nothing left running.
 */
class SocketActivationTest {
    private static final Path SOCKET_ACTIVATE = Path.of("/usr/bin/systemd-socket-activate");

    /** Binds N sockets on 127.0.0.1:PORT (SO_REUSEPORT when asked), puts them on fds 3.. and execs the rest. */
    private static final String LAUNCHER = """
            import os, socket, sys
            count, port, reuse = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == '1'
            high = []
            for _ in range(count):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if reuse:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                s.bind(('127.0.0.1', port))
                s.listen(128)
                high.append(os.dup(s.fileno()))
                s.close()
            for i, fd in enumerate(high):
                os.dup2(fd, 3 + i)
                os.close(fd)
            env = dict(os.environ, LISTEN_FDS=str(count), LISTEN_PID=str(os.getpid()))
            os.execve(sys.argv[4], sys.argv[4:], env)
            """;

    @Test
    void theFirstConnectionWaitsForHerdStartedBySystemdSocketActivateAndAWorkerAnswersIt() throws Exception {
        assumeThat(Files.isExecutable(SOCKET_ACTIVATE)).as("systemd-socket-activate (package systemd)").isTrue();
        Path dir = Herd.newDir();
        int port = Http.freePort();
        List<String> prefix = List.of(SOCKET_ACTIVATE.toString(), "-l", "127.0.0.1:" + port,
                "-E", "HERD_TEST_TAG", "-E", "HERD_NO_BUILD", "-E", "JAVA_HOME", "-E", "HOME", "-E", "PATH");
        try (Herd herd = Herd.start(dir, prefix, runArgs(dir, port, "--workers", "2"), Map.of())) {
            await("systemd-socket-activate listening").atMost(Duration.ofSeconds(10))
                    .until(() -> herd.output().contains("Listening on 127.0.0.1:" + port));
            assertThat(herd.events()).as("Herd starts only on the first connection").isEmpty();
            // this connection is the one that makes systemd-socket-activate start Herd: it waits in the backlog
            CompletableFuture<Http.Response> first = CompletableFuture.supplyAsync(() -> get(port));
            assertThat(first.get(60, TimeUnit.SECONDS).status()).isEqualTo(200);
            herd.awaitEvent(e -> e.name().equals("socket_activation.taken"), Duration.ofSeconds(10), "the socket taken");
            assertThat(herd.awaitPort()).isEqualTo(port);
            List<Long> workers = herd.awaitReady(2, Duration.ofSeconds(60));
            Set<Long> answered = new TreeSet<>();
            await("both workers answer").atMost(Duration.ofSeconds(20)).until(() -> {
                answered.add(get(port).pid());
                return answered.containsAll(workers);
            });
            for (long pid : workers) {
                // the master's variables are not the workers': they would take its socket for theirs
                assertThat(Files.readString(Path.of("/proc/" + pid + "/environ")).split("\0"))
                        .noneMatch(v -> v.startsWith("LISTEN_FDS=") || v.startsWith("LISTEN_PID="));
            }
            // the inherited fd 3 was moved away (close-on-exec) and closed: fd 3 of the master is not that socket
            assertThat(Files.exists(Path.of("/proc/" + herd.pid() + "/fd/3"))
                    && Files.readSymbolicLink(Path.of("/proc/" + herd.pid() + "/fd/3")).toString().startsWith("socket:")
                    && ProcNet.listeningInodes(port).contains(inode(herd.pid(), 3))).isFalse();
            herd.signal("TERM");
            assertThat(herd.awaitExit(Duration.ofSeconds(60))).isZero();
        }
    }

    @Test
    void reuseportModeTakesTheSocketsItIsGivenAndBindsTheOtherSlotsIntoTheirGroup() throws Exception {
        Path dir = Herd.newDir();
        int port = Http.freePort();
        try (Herd herd = Herd.start(dir, launcher(2, port, true), runArgs(dir, port, "--mode", "reuseport",
                "--workers", "3"), Map.of())) {
            assertThat(herd.awaitPort()).isEqualTo(port);
            assertThat(herd.awaitEvent(e -> e.name().equals("socket_activation.taken"), Duration.ofSeconds(10),
                    "the sockets taken").get("sockets")).isEqualTo("2");
            List<Long> workers = herd.awaitReady(3, Duration.ofSeconds(60));
            Set<Long> answered = new TreeSet<>();
            await("all three workers answer").atMost(Duration.ofSeconds(30)).until(() -> {
                answered.add(get(port).pid());
                return answered.containsAll(workers);
            });
            assertThat(ProcNet.listeningInodes(port)).as("one listening socket per slot").hasSize(3);
        }
    }

    @Test
    void socketsThatDoNotFitAreOneLineAndNothingRuns() throws Exception {
        int port = Http.freePort();
        int other = Http.freePort();
        record Case(List<String> prefix, List<String> args, String expected) {
        }
        List<Case> cases = List.of(
                new Case(launcher(1, port, false), List.of("--port", Integer.toString(other)),
                        "LISTEN_FDS: systemd passed a socket on 127.0.0.1:" + port + " (fd 3), but Herd is set to listen"
                                + " on 127.0.0.1:" + other + " (--host, --port); make them the same: --host 127.0.0.1"
                                + " --port " + port),
                new Case(launcher(2, port, true), List.of("--port", Integer.toString(port)),
                        "LISTEN_FDS: systemd passed 2 sockets; --mode shared serves one"),
                new Case(launcher(1, port, false), List.of("--port", Integer.toString(port), "--mode", "reuseport"),
                        "LISTEN_FDS: the socket on fd 3 has no SO_REUSEPORT, which --mode reuseport needs"),
                new Case(launcher(1, port, false), List.of("--port", Integer.toString(port), "--mode", "proxy"),
                        "LISTEN_FDS: systemd passed 1 socket, but --mode proxy has each worker bind its own port"));
        for (Case c : cases) {
            Path dir = Herd.newDir();
            List<String> args = new ArrayList<>(List.of("run", "--host", "127.0.0.1", "--workers", "2",
                    "--state-dir", dir.resolve("state").toString()));
            args.addAll(c.args());
            try (Herd herd = Herd.start(dir, c.prefix(), args, Map.of())) {
                assertThat(herd.awaitExit(Duration.ofSeconds(30))).as(c.expected()).isEqualTo(2);
                Herd.assertOneLine(herd.output(), c.expected());
                assertThat(Files.exists(dir.resolve("state/master.lock"))).as("nothing was set up").isFalse();
            }
        }
    }

    private static List<String> runArgs(Path dir, int port, String... extra) {
        List<String> args = new ArrayList<>(List.of("run", "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--state-dir", dir.resolve("state").toString()));
        args.addAll(List.of(extra));
        return args;
    }

    private static List<String> launcher(int count, int port, boolean reusePort) {
        return List.of("/usr/bin/python3", "-c", LAUNCHER, Integer.toString(count), Integer.toString(port),
                reusePort ? "1" : "0");
    }

    private static Http.Response get(int port) {
        try {
            return Http.get(port, "/");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long inode(long pid, int fd) throws Exception {
        String link = Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + fd)).toString(); // socket:[123]
        return Long.parseLong(link.substring(link.indexOf('[') + 1, link.length() - 1));
    }
}
