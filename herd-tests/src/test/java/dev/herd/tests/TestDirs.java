package dev.herd.tests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The temporary directories the end-to-end tests make (output, state dirs, logs): removed when the test JVM exits,
 * after every test has killed what it started, so that runs do not pile them up in /tmp. {@code HERD_KEEP_TEST_DIRS=1}
 * keeps them to look into a failure.
 */
final class TestDirs {
    private static final List<Path> made = new ArrayList<>();

    static {
        if (!"1".equals(System.getenv("HERD_KEEP_TEST_DIRS"))) {
            Runtime.getRuntime().addShutdownHook(new Thread(TestDirs::removeAll, "herd-test-dirs"));
        }
    }

    private TestDirs() {
    }

    static synchronized Path make() {
        try {
            Path dir = Files.createTempDirectory("herd-test-");
            made.add(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static synchronized void removeAll() {
        for (Path dir : made) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
            } catch (IOException | UncheckedIOException e) {
                // gone already, or a file a process still holds: left for the next look at /tmp
            }
        }
    }
}
