package dev.herd.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Readers of /proc. A process may exit between any two reads, so every reader returns empty/false
 * for a process that is gone instead of throwing.
 */
public final class ProcFs {
    private static final Path PROC = Path.of("/proc");
    private static final String SOCKET_PREFIX = "socket:[";
    private static final String EPOLL_LINK = "anon_inode:[eventpoll]";
    private static final String TCP_LISTEN = "0A";
    // Indexes into the fields after the comm's closing ')': field 3 (state) is index 0.
    static final int STAT_SESSION = 6 - 3;
    private static final int STAT_UTIME = 14 - 3;
    private static final int STAT_STIME = 15 - 3;
    private static final int STAT_STARTTIME = 22 - 3;

    private static volatile long clockTicks;
    private static volatile long pageSize;

    private ProcFs() {}

    /**
     * Resident memory of the process (what {@code status} calls VmRSS) from {@code /proc/PID/statm}: one short line,
     * cheaper than {@code status}; empty when it is gone.
     */
    public static OptionalLong residentBytes(long pid) {
        String line = readFirstLine(PROC.resolve(Long.toString(pid)).resolve("statm"));
        if (line == null) {
            return OptionalLong.empty();
        }
        String[] fields = line.trim().split(" ");
        try {
            return fields.length > 1 ? OptionalLong.of(Long.parseLong(fields[1]) * pageSize()) : OptionalLong.empty();
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * Resident memory of the process and of its descendants that its main thread started (a shell's or a launcher
     * script's children; {@code /proc/PID/task/PID/children}), summed; 0 when it is gone. Children started by other
     * threads are not seen: where the worker has a cgroup, count its processes instead.
     */
    public static long treeResidentBytes(long pid) {
        long total = 0;
        java.util.ArrayDeque<Long> next = new java.util.ArrayDeque<>(List.of(pid));
        Set<Long> seen = new HashSet<>();
        while (!next.isEmpty() && seen.size() < 4096) {
            long current = next.poll();
            if (!seen.add(current)) {
                continue;
            }
            total += residentBytes(current).orElse(0);
            children(PROC.resolve(Long.toString(current)).resolve("task").resolve(Long.toString(current)), next::add);
        }
        return total;
    }

    /** Whether the process has exited and waits to be reaped (state Z of /proc/PID/stat). */
    public static boolean isZombie(int pid) {
        String[] fields = statFields(pid);
        return fields != null && fields[0].equals("Z");
    }

    /** This process's children, whichever of its threads they belong to ({@code /proc/self/task/TID/children}). */
    public static Set<Integer> ownChildren() {
        Set<Integer> children = new java.util.TreeSet<>();
        try (java.nio.file.DirectoryStream<Path> tasks = java.nio.file.Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                children(task, pid -> children.add((int) pid));
            }
        } catch (java.io.IOException e) {
            // unreadable now: the next look finds them
        }
        return children;
    }

    /** The pids in a task's {@code children} file (none when it is gone). */
    private static void children(Path task, java.util.function.LongConsumer each) {
        String line = readFirstLine(task.resolve("children"));
        if (line == null) {
            return;
        }
        for (String child : line.trim().split(" ")) {
            if (!child.isEmpty()) {
                try {
                    each.accept(Long.parseLong(child));
                } catch (NumberFormatException e) {
                    // not a pid: skip it
                }
            }
        }
    }

    /** User plus system CPU time consumed so far. */
    public static Optional<Duration> cpuTime(int pid) {
        String[] fields = statFields(pid);
        if (fields == null) {
            return Optional.empty();
        }
        long ticks = Long.parseLong(fields[STAT_UTIME]) + Long.parseLong(fields[STAT_STIME]);
        return Optional.of(Duration.ofNanos(ticks * 1_000_000_000L / clockTicks()));
    }

    /**
     * Start time in clock ticks since boot (field 22 of /proc/PID/stat). Together with the pid it
     * identifies a process: a reused pid has a different start time.
     */
    public static OptionalLong startTime(int pid) {
        String[] fields = statFields(pid);
        return fields == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(fields[STAT_STARTTIME]));
    }

    /**
     * The inode of one of this process's socket fds.
     *
     * @throws IllegalArgumentException when fd is not an open socket
     */
    public static long socketInode(int fd) {
        String link = readLink(PROC.resolve("self/fd").resolve(Integer.toString(fd)));
        if (link == null) {
            throw new IllegalArgumentException("fd " + fd + " is not open");
        }
        long inode = parseSocketInode(link);
        if (inode < 0) {
            throw new IllegalArgumentException("fd " + fd + " is not a socket: " + link);
        }
        return inode;
    }

    /**
     * The inodes of the TCP sockets (IPv4 and IPv6) listening on this port in this network namespace, from
     * /proc/net/tcp and /proc/net/tcp6.
     */
    public static Set<Long> listeningSocketInodes(int port) {
        Set<Long> inodes = new HashSet<>();
        for (String table : List.of("net/tcp", "net/tcp6")) {
            List<String> lines = readLines(PROC.resolve(table));
            for (int i = 1; i < lines.size(); i++) { // the first line names the columns
                long inode = listeningInode(lines.get(i), port);
                if (inode > 0) {
                    inodes.add(inode);
                }
            }
        }
        return inodes;
    }

    /** The inode of a /proc/net/tcp{,6} row when it is a socket listening on port, else -1. */
    static long listeningInode(String row, int port) {
        // "  1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 ..."
        String[] fields = row.trim().split("\\s+");
        if (fields.length < 10 || !TCP_LISTEN.equals(fields[3])) {
            return -1;
        }
        String local = fields[1];
        try {
            int localPort = Integer.parseInt(local.substring(local.lastIndexOf(':') + 1), 16);
            return localPort == port ? Long.parseLong(fields[9]) : -1;
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            return -1;
        }
    }

    /** The number of a file descriptor of {@code pid} on one of these sockets, if it has one. */
    public static OptionalInt fdOfSocket(int pid, Set<Long> socketInodes) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(PROC.resolve(Integer.toString(pid)).resolve("fd"))) {
            for (Path fdPath : fds) {
                if (socketInodes.contains(parseSocketInode(readLink(fdPath)))) {
                    return OptionalInt.of(Integer.parseInt(fdPath.getFileName().toString()));
                }
            }
        } catch (IOException | SecurityException e) {
            // gone
        }
        return OptionalInt.empty();
    }

    /** This process's descriptors on these sockets, by inode (one for each inode it holds). */
    public static java.util.Map<Long, Integer> ownFdsOfSockets(Set<Long> socketInodes) {
        java.util.Map<Long, Integer> found = new java.util.TreeMap<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(PROC.resolve("self").resolve("fd"))) {
            for (Path fdPath : fds) {
                long inode = parseSocketInode(readLink(fdPath));
                if (socketInodes.contains(inode)) {
                    found.putIfAbsent(inode, Integer.parseInt(fdPath.getFileName().toString()));
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot list this process's descriptors", e);
        }
        return found;
    }

    /**
     * Whether {@code pid} still has any file descriptor on the socket with this inode. A retired worker that
     * closed its copy of the listening socket can no longer take new connections.
     */
    public static boolean holdsSocket(int pid, long socketInode) {
        return fdOfSocket(pid, Set.of(socketInode)).isPresent();
    }

    /**
     * Whether pid is accepting on the socket with this inode, seen from outside without its help: one of
     * its threads is blocked in accept/accept4 on an fd that is that socket, or one of its epoll
     * instances watches such an fd. Reads each fd link once per call; cheap enough to call every ~25 ms.
     */
    public static boolean isAccepting(int pid, long socketInode) {
        Path proc = PROC.resolve(Integer.toString(pid));
        String wanted = SOCKET_PREFIX + socketInode + "]";
        Set<Integer> socketFds = new HashSet<>();
        Set<Integer> epollFds = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fdPath : fds) {
                String link = readLink(fdPath);
                if (wanted.equals(link)) {
                    socketFds.add(Integer.parseInt(fdPath.getFileName().toString()));
                } else if (EPOLL_LINK.equals(link)) {
                    epollFds.add(Integer.parseInt(fdPath.getFileName().toString()));
                }
            }
        } catch (IOException | SecurityException e) {
            return false; // gone, or not ours to look at
        }
        if (socketFds.isEmpty()) {
            return false;
        }
        return blockedInAccept(proc, socketFds) || watchedByEpoll(proc, epollFds, socketFds);
    }

    private static boolean blockedInAccept(Path proc, Set<Integer> socketFds) {
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(proc.resolve("task"))) {
            for (Path task : tasks) {
                // "43 0xa 0x7f... ..." while blocked in a syscall; "running" or "-1 ..." otherwise.
                String line = readFirstLine(task.resolve("syscall"));
                if (line == null) {
                    continue;
                }
                String[] parts = line.split(" ", 3);
                if (parts.length < 2 || !(parts[0].equals("43") || parts[0].equals("288"))) {
                    continue;
                }
                long fd = parseHex(parts[1]);
                if (fd >= 0 && fd <= Integer.MAX_VALUE && socketFds.contains((int) fd)) {
                    return true;
                }
            }
        } catch (IOException | SecurityException e) {
            return false;
        }
        return false;
    }

    private static boolean watchedByEpoll(Path proc, Set<Integer> epollFds, Set<Integer> socketFds) {
        for (int epfd : epollFds) {
            // fdinfo of an epoll fd has lines like "tfd:       10 events:       19 data: ..."
            for (String line : readLines(proc.resolve("fdinfo").resolve(Integer.toString(epfd)))) {
                if (!line.startsWith("tfd:")) {
                    continue;
                }
                String[] parts = line.substring(4).trim().split("\\s+", 2);
                try {
                    if (socketFds.contains(Integer.parseInt(parts[0]))) {
                        return true;
                    }
                } catch (NumberFormatException e) {
                    // a format we do not know: ignore the line
                }
            }
        }
        return false;
    }

    /** The fields of /proc/PID/stat after the comm, or null when the process is gone. */
    static String[] statFields(int pid) {
        String stat = readFirstLine(PROC.resolve(Integer.toString(pid)).resolve("stat"));
        if (stat == null) {
            return null;
        }
        // comm may contain spaces and parentheses: the fields start after the LAST ')'.
        int close = stat.lastIndexOf(')');
        return stat.substring(close + 2).split(" ");
    }

    static long parseSocketInode(String link) {
        if (link == null || !link.startsWith(SOCKET_PREFIX) || !link.endsWith("]")) {
            return -1;
        }
        try {
            return Long.parseLong(link.substring(SOCKET_PREFIX.length(), link.length() - 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long parseHex(String value) {
        try {
            return value.startsWith("0x") ? Long.parseUnsignedLong(value.substring(2), 16) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long pageSize() {
        long size = pageSize;
        if (size == 0) {
            size = sysconf(Libc.SC_PAGESIZE, "_SC_PAGESIZE");
            pageSize = size;
        }
        return size;
    }

    private static long clockTicks() {
        long ticks = clockTicks;
        if (ticks == 0) {
            ticks = sysconf(Libc.SC_CLK_TCK, "_SC_CLK_TCK");
            clockTicks = ticks;
        }
        return ticks;
    }

    private static long sysconf(int name, String label) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = Libc.errnoState(arena);
            long value = Libc.sysconf(err, name);
            if (value <= 0) {
                throw new NativeException("sysconf", label, Libc.errno(err));
            }
            return value;
        }
    }

    private static String readLink(Path path) {
        try {
            return Files.readSymbolicLink(path).toString();
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }

    private static String readFirstLine(Path path) {
        List<String> lines = readLines(path);
        return lines.isEmpty() ? null : lines.get(0);
    }

    private static List<String> readLines(Path path) {
        try {
            // Latin-1: comm may hold bytes that are not UTF-8, and a decoding error must not read as "gone".
            return Files.readAllLines(path, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException | SecurityException e) {
            // ESRCH from a task that exited mid-read, or EACCES: treat as gone
            return List.of();
        }
    }
}
