package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 18, item 1: a real master started from a settings file ({@code herd run -c FILE}, or {@code $HERD_CONFIG}):
 * its workers run the file's command with the file's settings, a flag overrides the file, and a bad file stops the
 * master before anything starts, in one line that names the file, line and column.
 */
class SettingsFileTest {

    private static Path settings(Path dir, String yaml) throws Exception {
        Path file = dir.resolve("herd.yaml");
        Files.writeString(file, yaml);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        return file;
    }

    @Test
    void theWorkersRunTheFilesCommandWithItsSettingsAndAFlagOverridesTheFile() throws Exception {
        Path dir = Herd.newDir();
        List<String> demo = Workers.demo();
        Path file = settings(dir, "version: 1\nworkers: 3\ndrain-timeout: 7s\nmax-requests: 1000000\ncommand: ["
                + String.join(", ", demo.stream().map(word -> "'" + word.replace("'", "''") + "'").toList()) + "]\n");
        // $HERD_CONFIG names the file; --workers on the command line wins over its workers: 3
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "--workers", "2"), Map.of("HERD_CONFIG", file.toString()))) {
            int port = herd.awaitPort();
            List<Long> pids = herd.awaitReady(2, Duration.ofSeconds(60));
            assertThat(Http.get(port, "/").status()).isEqualTo(200);
            for (long pid : pids) {
                String environment = Files.readString(Path.of("/proc", Long.toString(pid), "environ"));
                assertThat(environment).contains("HERD_DRAIN_TIMEOUT_MS=7000");
            }
            assertThat(herd.liveReadyPids()).hasSize(2);
            Shell.Result check = Shell.run(Herd.LAUNCHER.toString(), "config", "check", file.toString());
            assertThat(check.code()).as(check.output()).isZero();
            assertThat(check.output()).contains("workers: 3   # " + file, "drain-timeout: 7s   # " + file,
                    "max-requests: 1000000   # " + file);
        }
    }

    @Test
    void aBadFileStopsTheMasterBeforeAnythingStartsInOneLine() throws Exception {
        Path dir = Herd.newDir();
        Path file = settings(dir, "workers: 2\nmax-memory: 150m\nmax-memory-hard: 100m\n");
        try (Herd herd = Herd.start(dir, Herd.runArgs(dir, "-c", file.toString()))) {
            assertThat(herd.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
            Herd.assertOneLine(herd.output(), file + ":3:1: max-memory-hard: '100m' must be above --max-memory (150m)");
            assertThat(herd.processes()).as("nothing left running").isEmpty();
        }
    }
}
