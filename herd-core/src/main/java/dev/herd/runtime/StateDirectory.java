package dev.herd.runtime;

import dev.herd.supervisor.Supervisor;

import dev.herd.ClusterSpec;
import dev.herd.StartupException;
import dev.herd.os.PrivatePaths;
import dev.herd.os.Processes;
import dev.herd.os.UnixSocketPath;
import dev.herd.os.UnsafePathException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The master's claim on its state directory. The first thing a master does, before it binds, creates or starts
 * anything: check that the state and log directories are private to its user, then take an exclusive lock on
 * {@code STATE-DIR/master.lock}. A second master on the same state dir finds the lock held and stops there,
 * having touched nothing the first one uses. The lock is the kernel's (fcntl), so it goes with the process,
 * however that ends; the file keeps the holder's pid so the refusal can name it.
 */
final class StateDirectory implements AutoCloseable {
    static final String LOCK_FILE = "master.lock";
    static final String NOTIFY_DIR = "notify";
    static final String RECORDS_DIR = "workers";

    /** The lock file is never opened through a link, and created when missing. */
    private static final Set<OpenOption> LOCK_OPEN = Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);

    private final Path stateDir;
    private final FileChannel lockChannel;
    private final WorkerRecords records;
    private final List<WorkerRecords.Orphan> orphans;
    private final MasterFiles masterFiles;

    private StateDirectory(Path stateDir, FileChannel lockChannel, WorkerRecords records) {
        this.stateDir = stateDir;
        this.lockChannel = lockChannel;
        this.records = records;
        List<String> stale = new java.util.ArrayList<>();
        this.orphans = records.survivors(stale);
        if (!stale.isEmpty()) {
            // a pid reused by another process is never adopted, signalled or named as a worker
            org.slf4j.LoggerFactory.getLogger(StateDirectory.class).info(
                    "event=state.stale_records count={} records=\"{}\"", stale.size(), String.join(", ", stale));
        }
        this.masterFiles = new MasterFiles(stateDir);
    }

    /** Checks and creates the directories, takes the lock, and reads what an earlier master left. */
    static StateDirectory claim(ClusterSpec spec) {
        Path stateDir = spec.stateDir();
        checkSocketRoom(stateDir);
        privateDirectory(stateDir, "state-dir");
        FileChannel lock = lock(stateDir);
        try {
            for (Path dir : List.of(stateDir.resolve(NOTIFY_DIR), stateDir.resolve(RECORDS_DIR))) {
                privateDirectory(dir, "state-dir");
            }
            privateDirectory(spec.logDir(), "log-dir");
            privateDirectory(spec.logDir().resolve(".spool"), "log-dir");
            return new StateDirectory(stateDir, lock, new WorkerRecords(stateDir.resolve(RECORDS_DIR)));
        } catch (RuntimeException e) {
            closeQuietly(lock);
            throw e;
        }
    }

    /** Workers of an earlier master on this state dir that still run (after that master was killed). */
    List<WorkerRecords.Orphan> orphans() {
        return orphans;
    }

    /** {@code master.pid} and {@code cluster.json}: what this master writes and an earlier one left. */
    MasterFiles masterFiles() {
        return masterFiles;
    }

    /** Keeps {@code STATE-DIR/workers} up to date from the supervisor's events. */
    WorkerRecords records() {
        return records;
    }

    /** Removes the notify sockets, then lets go of the lock. The worker records stay: workers may outlive this. */
    @Override
    public void close() {
        deleteQuietly(stateDir.resolve(NOTIFY_DIR));
        closeQuietly(lockChannel);
    }

    private static void checkSocketRoom(Path stateDir) {
        Path longestNotifySocket = Supervisor.notifySocketPath(stateDir, ClusterSpec.MAX_WORKERS, Long.MAX_VALUE);
        try {
            UnixSocketPath.check(longestNotifySocket);
        } catch (IllegalArgumentException e) {
            throw new StartupException(StartupException.SETUP, "state-dir: '" + stateDir
                    + "' is too long to hold Unix sockets (their paths are limited to " + UnixSocketPath.MAX_BYTES
                    + " bytes); choose a shorter --state-dir");
        }
    }

    private static void privateDirectory(Path dir, String setting) {
        try {
            PrivatePaths.directory(dir, setting);
        } catch (UnsafePathException e) {
            throw new StartupException(StartupException.SETUP, e.getMessage(), e);
        }
    }

    private static FileChannel lock(Path stateDir) {
        Path file = stateDir.resolve(LOCK_FILE);
        FileChannel channel;
        try {
            channel = FileChannel.open(file, LOCK_OPEN, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (IOException e) {
            throw new StartupException(StartupException.SETUP, "cannot open " + file + ": " + e.getClass().getSimpleName()
                    + " " + e.getMessage() + " (a symbolic link there is refused); remove it or choose another --state-dir", e);
        }
        try {
            FileLock held = channel.tryLock();
            if (held == null) {
                String holder = holder(channel);
                closeQuietly(channel);
                throw new StartupException(StartupException.SETUP, "another master" + holder + " is running with state dir "
                        + stateDir + "; stop it first (herd stop --state-dir " + stateDir + ") or choose another --state-dir");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((Processes.currentPid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            return channel;
        } catch (OverlappingFileLockException e) {
            closeQuietly(channel);
            throw new StartupException(StartupException.SETUP, "this process already runs a master with state dir "
                    + stateDir + "; choose another --state-dir", e);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new StartupException(StartupException.SETUP, "cannot lock " + file + ": " + e.getMessage(), e);
        }
    }

    /** " (pid N)" from the lock file, or nothing when it cannot be read. */
    private static String holder(FileChannel channel) {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(32);
            channel.read(buffer, 0);
            String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).trim();
            return text.matches("\\d{1,10}") ? " (pid " + text + ")" : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // closing releases the lock; nothing else to do
        }
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // Leftover notify sockets are harmless: the next master unlinks them before binding.
        }
    }
}
