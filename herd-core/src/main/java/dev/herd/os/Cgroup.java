package dev.herd.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * One cgroup v2 directory and the interface files Herd uses: a process joins it by writing its pid to
 * {@code cgroup.procs}; writing 1 to {@code cgroup.kill} SIGKILLs every process in it and its descendants at
 * once, forks in flight included (Linux 5.14); {@code cgroup.events} says whether any process is left; an
 * empty cgroup is removed with rmdir. Plain file operations: cgroupfs needs no native calls.
 */
public record Cgroup(Path dir) {
    static final String PROCS = "cgroup.procs";
    static final String KILL = "cgroup.kill";
    static final String EVENTS = "cgroup.events";

    /** Creates the child cgroup {@code name}; fails with the file system's error (EEXIST, EACCES, EROFS, ...). */
    public Cgroup createChild(String name) throws IOException {
        return new Cgroup(Files.createDirectory(dir.resolve(name)));
    }

    /** The file whose write moves a process in (the worker's spawn wrapper writes its own pid there). */
    public Path procsFile() {
        return dir.resolve(PROCS);
    }

    /** Whether the kernel offers cgroup.kill here (Linux 5.14 or later). */
    public boolean canKill() {
        return Files.exists(dir.resolve(KILL));
    }

    /** SIGKILLs every process of the cgroup and its descendants; a cgroup already removed has none. */
    public void kill() throws IOException {
        try {
            Files.writeString(dir.resolve(KILL), "1", StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            // removed: nothing left to kill
        }
    }

    /** Whether any process is in the cgroup or below it ({@code populated 1} in cgroup.events); false once removed. */
    public boolean populated() throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(dir.resolve(EVENTS), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return false;
        }
        return lines.contains("populated 1");
    }

    /** The processes in this cgroup itself (not its children); empty when it is gone. */
    public List<Long> pids() throws IOException {
        List<Long> pids = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(procsFile(), StandardCharsets.US_ASCII)) {
                if (!line.isBlank()) {
                    pids.add(Long.parseLong(line.trim()));
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        return pids;
    }

    /** The child cgroups, by name order. */
    public List<Cgroup> children() throws IOException {
        List<Cgroup> children = new ArrayList<>();
        try (var entries = Files.newDirectoryStream(dir, Files::isDirectory)) {
            entries.forEach(path -> children.add(new Cgroup(path)));
        } catch (NoSuchFileException e) {
            return List.of();
        }
        children.sort((a, b) -> a.dir.compareTo(b.dir));
        return children;
    }

    /**
     * Removes the cgroup if it is empty (no process, no child cgroup): true when it is gone now, false when the
     * kernel refused because something is still in it (EBUSY, ENOTEMPTY).
     */
    public boolean removeIfEmpty() throws IOException {
        try {
            Files.delete(dir); // rmdir: cgroupfs ignores its own interface files
            return true;
        } catch (NoSuchFileException e) {
            return true;
        } catch (DirectoryNotEmptyException e) {
            return false;
        } catch (FileSystemException e) {
            if (String.valueOf(e.getReason()).contains("busy")) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public String toString() {
        return dir.toString();
    }
}
