package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 18, item 3: the master as a systemd {@code Type=notify} service. The test plays the service manager: it binds
 * the datagram socket it names in {@code NOTIFY_SOCKET} (and sets {@code WATCHDOG_USEC}) and reads what the master
 * says: {@code READY=1} once both workers are ready, {@code RELOADING=1} with the monotonic clock around a reload and
 * {@code READY=1} after it, {@code WATCHDOG=1} every half of the watchdog time, {@code STOPPING=1} on SIGTERM.
 */
class ServiceManagerTest {
    /** Binds the socket and writes each datagram as one line, its newlines as '|'. */
    private static final String RECEIVER = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind(sys.argv[1])
            with open(sys.argv[2], 'a', buffering=1) as out:
                while True:
                    out.write(s.recv(65536).decode().replace('\\n', '|') + '\\n')
            """;

    @Test
    void theMasterTellsTheServiceManagerWhenItIsReadyReloadingAliveAndStopping() throws Exception {
        Path dir = Herd.newDir();
        Path socket = dir.resolve("notify.sock");
        Path heard = dir.resolve("notify.log");
        Process receiver = new ProcessBuilder("python3", "-c", RECEIVER, socket.toString(), heard.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("receiver.out").toFile()).start();
        try {
            await("the receiver's socket").atMost(Duration.ofSeconds(10)).until(() -> Files.exists(socket));
            try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2"),
                    Map.of("NOTIFY_SOCKET", socket.toString(), "WATCHDOG_USEC", "400000"))) {
                herd.awaitReady(2, Duration.ofSeconds(60));
                await("READY=1").atMost(Duration.ofSeconds(10)).until(() -> lines(heard).contains(
                        "READY=1|STATUS=2 workers ready|MAINPID=" + herd.pid()));

                long before = System.nanoTime() / 1000; // CLOCK_MONOTONIC, the clock systemd reads MONOTONIC_USEC on
                assertThat(herd.cli("reload").code()).isZero();
                long after = System.nanoTime() / 1000;
                await("READY=1 after the reload").atMost(Duration.ofSeconds(60)).until(() -> lines(heard).contains(
                        "READY=1|STATUS=2 workers, generation 2 (reload done)"));
                String reloading = lines(heard).stream().filter(l -> l.startsWith("RELOADING=1|")).findFirst().orElseThrow();
                long monotonic = Long.parseLong(reloading.split("\\|")[1].substring("MONOTONIC_USEC=".length()));
                assertThat(monotonic).isBetween(before, after);
                assertThat(reloading).endsWith("|STATUS=reload to generation 2 under way");

                // WATCHDOG_USEC=400000: a ping every 200 ms from the supervisor's loop
                int pings = count(heard, "WATCHDOG=1");
                await("watchdog pings").atMost(Duration.ofSeconds(10)).until(() -> count(heard, "WATCHDOG=1") >= pings + 5);

                herd.signal("TERM");
                assertThat(herd.awaitExit(Duration.ofSeconds(60))).isZero();
                await("STOPPING=1").atMost(Duration.ofSeconds(10)).until(() -> lines(heard).contains("STOPPING=1|STATUS=draining"));
                List<String> all = lines(heard);
                assertThat(all.indexOf("STOPPING=1|STATUS=draining")).isGreaterThan(all.indexOf(reloading));
            }
        } finally {
            receiver.destroyForcibly();
        }
    }

    /** systemd may give an abstract socket ({@code @name}): READY=1 reaches it as well. */
    @Test
    void anAbstractNotifySocketHearsTheMasterToo() throws Exception {
        Path dir = Herd.newDir();
        String name = "herd-test-notify-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Path heard = dir.resolve("notify.log");
        Path bound = dir.resolve("bound");
        String receiver = RECEIVER.replace("s.bind(sys.argv[1])", "s.bind('\\0' + sys.argv[1]); open(sys.argv[3], 'w').close()");
        Process process = new ProcessBuilder("python3", "-c", receiver, name, heard.toString(), bound.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("receiver.out").toFile()).start();
        try {
            await("the receiver's socket").atMost(Duration.ofSeconds(10)).until(() -> Files.exists(bound));
            try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "1"), Map.of("NOTIFY_SOCKET", "@" + name))) {
                herd.awaitReady(1, Duration.ofSeconds(60));
                await("READY=1 on @" + name).atMost(Duration.ofSeconds(10)).until(() -> lines(heard).contains(
                        "READY=1|STATUS=1 workers ready|MAINPID=" + herd.pid()));
            }
        } finally {
            process.destroyForcibly();
        }
    }

    private static List<String> lines(Path file) throws Exception {
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }

    private static int count(Path file, String line) throws Exception {
        return (int) lines(file).stream().filter(line::equals).count();
    }
}
