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
    private FileLock lock;
    private volatile boolean handedOver;
    private final WorkerRecords records;
    private final List<WorkerRecords.Orphan> orphans;
    private final MasterFiles masterFiles;

    private StateDirectory(Path stateDir, FileChannel lockChannel, FileLock lock, WorkerRecords records) {
        this.stateDir = stateDir;
        this.lockChannel = lockChannel;
        this.lock = lock;
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
        return claim(spec, java.time.Duration.ZERO, false);
    }

    /**
     * The same, waiting up to {@code lockWait} for the lock (a master that handed its cluster over lets go of it as
     * it ends).
     */
    static StateDirectory claim(ClusterSpec spec, java.time.Duration lockWait, boolean takeoverFound) {
        Path stateDir = spec.stateDir();
        checkSocketRoom(stateDir);
        privateDirectory(stateDir, "state-dir");
        Held held = lock(stateDir, lockWait, takeoverFound);
        FileChannel lock = held.channel();
        try {
            for (Path dir : List.of(stateDir.resolve(NOTIFY_DIR), stateDir.resolve(RECORDS_DIR))) {
                privateDirectory(dir, "state-dir");
            }
            privateDirectory(spec.logDir(), "log-dir");
            privateDirectory(spec.logDir().resolve(".spool"), "log-dir");
            return new StateDirectory(stateDir, lock, held.lock(), new WorkerRecords(stateDir.resolve(RECORDS_DIR)));
        } catch (RuntimeException e) {
            closeQuietly(lock);
            throw e;
        }
    }

    /** Where the workers' notify and channel sockets are. */
    Path notifyDir() {
        return stateDir.resolve(NOTIFY_DIR);
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

    /** The master handed its cluster over: what is in the state dir is the new master's from now on. */
    void handOver() {
        handedOver = true;
    }

    boolean handedOver() {
        return handedOver;
    }

    /** A clean end of the master: its notify and channel sockets go (its workers are gone). */
    void removeSockets() {
        deleteQuietly(stateDir.resolve(NOTIFY_DIR));
    }

    /** Lets go of the lock. The worker records stay: workers may outlive this. */
    @Override
    public void close() {
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

    /** The open lock file and the lock taken on it. */
    private record Held(FileChannel channel, FileLock lock) {
    }

    /**
     * A hand-over: lets go of the lock so that the new master can claim the state dir, which it does once this one
     * has stopped using it.
     */
    synchronized void releaseLock() {
        try {
            if (lock != null) {
                lock.release();
                lock = null;
            }
        } catch (IOException e) {
            log().warn("event=state.unlock_failed error=\"{}\"", e.getMessage());
        }
    }

    /** The hand-over failed: takes the lock back (the new master, if it ever took it, is gone); false when held. */
    synchronized boolean reclaimLock(java.time.Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (lock == null) {
            try {
                lock = lockChannel.tryLock();
                if (lock != null) {
                    lockChannel.truncate(0);
                    lockChannel.write(ByteBuffer.wrap((Processes.currentPid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
                    return true;
                }
                if (System.nanoTime() > deadline) {
                    return false;
                }
                if (lock == null) {
                    Thread.sleep(20); // a retry interval while another process holds it
                }
            } catch (IOException | OverlappingFileLockException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private static org.slf4j.Logger log() {
        return org.slf4j.LoggerFactory.getLogger(StateDirectory.class);
    }

    /** @param takeoverAsked {@code --takeover} was given, and no master answered on the hand-over socket */
    private static Held lock(Path stateDir, java.time.Duration wait, boolean takeoverAsked) {
        Path file = stateDir.resolve(LOCK_FILE);
        FileChannel channel;
        try {
            channel = FileChannel.open(file, LOCK_OPEN, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (IOException e) {
            throw new StartupException(StartupException.SETUP, "cannot open " + file + ": " + e.getClass().getSimpleName()
                    + " " + e.getMessage() + " (a symbolic link there is refused); remove it or choose another --state-dir", e);
        }
        try {
            long deadline = System.nanoTime() + wait.toNanos();
            FileLock held = channel.tryLock();
            while (held == null && System.nanoTime() < deadline) {
                Thread.sleep(20); // a retry interval: the master that handed over lets go as it ends
                held = channel.tryLock();
            }
            if (held == null) {
                String holder = holder(channel);
                closeQuietly(channel);
                if (takeoverAsked) {
                    throw new StartupException(StartupException.SETUP, "cannot take over: the master" + holder
                            + " running with state dir " + stateDir + " does not answer on " + Handover.SOCKET
                            + " (a Herd from before takeovers, or one stopping); stop it first (herd stop --state-dir "
                            + stateDir + ")");
                }
                throw new StartupException(StartupException.SETUP, "another master" + holder + " is running with state dir "
                        + stateDir + "; take it over (herd run --takeover ...), stop it first (herd stop --state-dir "
                        + stateDir + ") or choose another --state-dir");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((Processes.currentPid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            return new Held(channel, held);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(channel);
            throw new StartupException(StartupException.SETUP, "interrupted while waiting for the lock on " + file, e);
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
