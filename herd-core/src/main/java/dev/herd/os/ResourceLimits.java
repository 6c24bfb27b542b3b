package dev.herd.os;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/** The master's resource limits and what it uses of them, read from /proc. */
public final class ResourceLimits {
    /** A soft limit; {@link #UNLIMITED} for none. */
    public static final long UNLIMITED = Long.MAX_VALUE;
    private static final int CAP_SYS_ADMIN = 21;
    private static final int CAP_SYS_RESOURCE = 24;

    private ResourceLimits() {}

    /** RLIMIT_NOFILE's soft limit (the JVM has already raised it to the hard one, HotSpot's MaxFDLimit). */
    public static long openFilesLimit() {
        return softLimit("Max open files");
    }

    /** RLIMIT_NPROC's soft limit: processes and threads of the real user, all processes counted. */
    public static long processLimit() {
        return softLimit("Max processes");
    }

    /** The descriptors this process has open now. */
    public static int openDescriptors() {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            int count = 0;
            for (Path ignored : fds) {
                count++;
            }
            return count;
        } catch (IOException e) {
            return 0;
        }
    }

    /** The real uid of this process. */
    public static int realUid() {
        return (int) statusField(Path.of("/proc/self/status"), "Uid:").orElse(0);
    }

    /**
     * Whether the kernel enforces RLIMIT_NPROC on this process: not for root, nor with CAP_SYS_RESOURCE or
     * CAP_SYS_ADMIN.
     */
    public static boolean processLimitEnforced() {
        if (realUid() == 0) {
            return false;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring("CapEff:".length()).strip(), 16);
                    return (caps & (1L << CAP_SYS_ADMIN)) == 0 && (caps & (1L << CAP_SYS_RESOURCE)) == 0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unknown: assume enforced, which only makes the preflight stricter
        }
        return true;
    }

    /** Processes and threads whose real uid is {@code uid}, as RLIMIT_NPROC counts them. */
    public static long threadsOfUser(int uid) {
        long threads = 0;
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
            for (Path proc : procs) {
                threads += threadsIfOwnedBy(proc.resolve("status"), uid);
            }
        } catch (IOException e) {
            return 0;
        }
        return threads;
    }

    /** The process's threads when its real user is {@code uid}, else 0 (also when it is gone or unreadable). */
    private static long threadsIfOwnedBy(Path status, int uid) {
        try {
            boolean owned = false;
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("Uid:")) {
                    owned = firstNumber(line, "Uid:") == uid;
                    if (!owned) {
                        return 0;
                    }
                } else if (owned && line.startsWith("Threads:")) {
                    return firstNumber(line, "Threads:");
                }
            }
            return owned ? 1 : 0;
        } catch (IOException | RuntimeException e) {
            return 0; // the process exited meanwhile
        }
    }

    private static long firstNumber(String line, String key) {
        return Long.parseLong(line.substring(key.length()).strip().split("\\s+")[0]);
    }

    /** The first number after the key in a /proc status file; empty when gone or unreadable. */
    private static OptionalLong statusField(Path status, String key) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith(key)) {
                    return OptionalLong.of(firstNumber(line, key));
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process exited meanwhile
        }
        return OptionalLong.empty();
    }

    /** RLIMIT_NOFILE's hard limit: how far this process may raise it without CAP_SYS_RESOURCE. */
    public static long openFilesHardLimit() {
        return limit("Max open files", 1);
    }

    private static long softLimit(String name) {
        return limit(name, 0);
    }

    /** Column 0 (soft) or 1 (hard) of a /proc/self/limits line. */
    private static long limit(String name, int column) {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/self/limits"));
            for (String line : lines) {
                if (line.startsWith(name)) {
                    String value = line.substring(name.length()).strip().split("\\s+")[column];
                    return value.equals("unlimited") ? UNLIMITED : Long.parseLong(value);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unknown: no preflight rather than a wrong one
        }
        return UNLIMITED;
    }
}
