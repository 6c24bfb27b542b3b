package dev.herd.tests;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import java.io.IOException;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds every process a test started, however deep, by a marker variable in its environment: the master gets
 * HERD_TEST_TAG and its workers inherit it. That is how each test kills all it started, even after a failure
 * or after the master was SIGKILLed and its workers were reparented.
 */
final class TaggedProcesses {
    private TaggedProcesses() {
    }

    static List<Long> find(String tag) {
        byte[] marker = ("HERD_TEST_TAG=" + tag).getBytes(StandardCharsets.UTF_8);
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                String name = entry.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    byte[] environ = Files.readAllBytes(entry.resolve("environ"));
                    if (contains(environ, marker) && !isZombie(entry)) {
                        pids.add(Long.parseLong(name));
                    }
                } catch (IOException | SecurityException e) {
                    // the process ended while we looked, or is not ours to read
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return pids;
    }

    static void killAll(String tag) {
        for (int round = 0; round < 5; round++) {
            List<Long> pids = find(tag);
            if (pids.isEmpty()) {
                return;
            }
            pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            try {
                Awaitility.await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
                        .until(() -> find(tag).isEmpty());
            } catch (ConditionTimeoutException e) {
                // another round: a process may have forked while we killed
            }
        }
    }

    private static boolean isZombie(Path procEntry) throws IOException {
        String stat = Files.readString(procEntry.resolve("stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (i > 0 && haystack[i - 1] != 0) {
                continue;
            }
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            if (i + needle.length == haystack.length || haystack[i + needle.length] == 0) {
                return true;
            }
        }
        return false;
    }
}
