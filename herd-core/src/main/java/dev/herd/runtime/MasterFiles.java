package dev.herd.runtime;

import dev.herd.ClusterSpec;
import dev.herd.control.ControlJson;
import dev.herd.listen.Listeners;
import dev.herd.os.ListenSocket;
import dev.herd.os.ProcFs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The master's own files in the state dir: {@code master.pid} (its pid, as cluster2 and init scripts expect) and
 * {@code cluster.json} (what the next master needs to adopt this one's workers: the mode, the address, and the
 * inode of each slot's listening socket, by which a copy is found in a worker). Written once the sockets are bound,
 * removed on a clean exit; left behind only when the master was killed, which is how the next one knows.
 */
final class MasterFiles {
    private static final Logger log = LoggerFactory.getLogger(MasterFiles.class);
    static final String PID_FILE = "master.pid";
    static final String CLUSTER_FILE = "cluster.json";
    /** The layout of cluster.json and the worker records; a master refuses to adopt from another one. */
    static final int STATE_FORMAT = 1;
    private static final long MAX_BYTES = 64 * 1024;

    /**
     * What a master wrote about its cluster.
     *
     * @param start   the master's start time in clock ticks since boot, to tell it from a process that reused its pid
     * @param sockets the inode of each slot's listening socket (one in shared mode, none in proxy and nat modes)
     */
    record SavedCluster(int format, int pid, long start, String mode, String host, int port, int workers,
                        boolean sticky, List<Long> sockets) {
        /** Whether the master that wrote this still runs (the same pid with the same start time). */
        boolean masterRuns() {
            return ProcFs.startTime(pid).orElse(-1) == start;
        }
    }

    private final Path stateDir;

    MasterFiles(Path stateDir) {
        this.stateDir = stateDir;
    }

    /** What an earlier master left, if it left anything readable; a broken file is reported and ignored. */
    Optional<SavedCluster> saved() {
        Path file = stateDir.resolve(CLUSTER_FILE);
        try {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) > MAX_BYTES) {
                log.warn("event=state.cluster_file_ignored path={} reason=\"not a regular file of at most {} bytes\"",
                        file, MAX_BYTES);
                return Optional.empty();
            }
            return Optional.of(ControlJson.convert(ControlJson.parse(Files.readString(file, StandardCharsets.UTF_8)),
                    SavedCluster.class));
        } catch (IOException | RuntimeException e) {
            log.warn("event=state.cluster_file_ignored path={} reason=\"{}\"", file, e.getMessage());
            return Optional.empty();
        }
    }

    /** Writes both files for this master and its bound sockets. */
    void write(ClusterSpec spec, Listeners listeners, int workers) {
        int pid = (int) ProcessHandle.current().pid();
        List<Long> sockets = new ArrayList<>();
        switch (spec.mode()) {
            case SHARED -> sockets.add(listeners.socketFor(0).inode());
            case REUSEPORT -> {
                for (int slot = 0; slot < workers; slot++) {
                    ListenSocket socket = listeners.socketFor(slot);
                    sockets.add(socket.inode());
                }
            }
            case PROXY, NAT -> { /* the master's own listener: a fresh one is bound after a crash */ }
        }
        SavedCluster cluster = new SavedCluster(STATE_FORMAT, pid, ProcFs.startTime(pid).orElse(0),
                spec.mode().name().toLowerCase(java.util.Locale.ROOT), listeners.address().getAddress().getHostAddress(),
                listeners.address().getPort(), workers, spec.sticky(), sockets);
        write(stateDir.resolve(CLUSTER_FILE), ControlJson.write(cluster) + "\n");
        write(stateDir.resolve(PID_FILE), pid + "\n");
    }

    /** A clean exit: nothing of this master is left to adopt. */
    void remove() {
        for (String name : List.of(CLUSTER_FILE, PID_FILE)) {
            try {
                Files.deleteIfExists(stateDir.resolve(name));
            } catch (IOException e) {
                log.warn("event=state.file_not_removed path={} error=\"{}\"", stateDir.resolve(name), e.getMessage());
            }
        }
    }

    private static void write(Path file, String text) {
        try {
            StateFiles.replace(file, text);
        } catch (IOException e) {
            log.warn("event=state.file_not_written path={} error=\"{}\"", file, e.getMessage());
        }
    }
}
