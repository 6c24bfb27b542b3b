package dev.herd.runtime;

import dev.herd.ProcessSettings;
import dev.herd.StartupException;
import dev.herd.os.Accounts;
import dev.herd.os.PrivatePaths;
import dev.herd.os.ProcessSetup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * {@link ProcessSettings} made concrete when the master starts: the user and group looked up, what the workers' spawn
 * must do ({@link ProcessSetup}), the variables they get, and who must be able to reach the notify and channel sockets.
 * Anything that cannot work (an unknown user, no root to switch to it, no setpriv, a directory that is not one) stops
 * the master before it binds, with one line naming the setting.
 *
 * @param setup      what the spawn does beyond posix_spawn
 * @param env        the master's environment with HOME, USER and LOGNAME of the workers' user (the settings' env
 *                   comes on top per worker: supervisor.WorkerEnvironment)
 * @param directory  the workers' working directory, or null for the master's
 */
record WorkerAccount(ProcessSetup setup, Map<String, String> env, Path directory) {
    private static final int ROOT = 0;

    /** Workers that run as the master does: nobody else needs to reach its sockets. */
    boolean sameUser() {
        return setup.uid() < 0 && setup.gid() < 0;
    }

    static WorkerAccount resolve(ProcessSettings settings, Map<String, String> masterEnv) {
        Map<String, String> env = new LinkedHashMap<>(masterEnv);
        int uid = -1;
        int gid = -1;
        int[] groups = new int[0];
        String setpriv = null;
        if (settings.user() != null || settings.group() != null) {
            int self = PrivatePaths.effectiveUid();
            Accounts.User user = null;
            if (settings.user() != null) {
                user = Accounts.user(settings.user()).orElseThrow(() -> usage("user: no such user '" + settings.user()
                        + "' (not in the system's user database: getent passwd " + settings.user()
                        + " finds nothing); create it, or give an existing user"));
                uid = user.uid();
            }
            if (settings.group() != null) {
                OptionalInt group = Accounts.group(settings.group());
                gid = group.orElseThrow(() -> usage("group: no such group '" + settings.group()
                        + "' (getent group " + settings.group() + " finds nothing); create it, or give an existing group"));
            } else if (user != null) {
                if (user.gid() < 0) {
                    throw usage("user: uid " + user.uid() + " has no account, so it has no group either; give --group too");
                }
                gid = user.gid();
            }
            if (self != ROOT) {
                throw usage((settings.user() != null ? "user" : "group") + ": workers can switch to '"
                        + (settings.user() != null ? settings.user() : settings.group()) + "' only when the master runs as"
                        + " root (it runs as uid " + self + "); start herd as root, or leave --user and --group out");
            }
            groups = user != null ? Accounts.groups(user, gid) : new int[] {gid};
            setpriv = setprivPath(masterEnv.get("PATH"));
            if (user != null) {
                // as login and systemd's User= do: a program that reads HOME must not write into root's
                if (!user.home().isEmpty()) {
                    env.put("HOME", user.home());
                }
                if (!user.name().isEmpty()) {
                    env.put("USER", user.name());
                    env.put("LOGNAME", user.name());
                }
            }
        }
        if (settings.directory() != null && !Files.isDirectory(settings.directory())) {
            throw usage("chdir: '" + settings.directory() + "' is not a directory; create it, or give the directory the"
                    + " workers should run in");
        }
        checkOpenFiles(settings.openFiles());
        ProcessSetup setup = new ProcessSetup(uid, gid, groups, settings.umask(), settings.openFiles(), setpriv);
        return new WorkerAccount(setup, Map.copyOf(env), settings.directory());
    }

    /**
     * Makes the state dir and its notify directory searchable by the workers' group (mode 0710, group theirs), so
     * that they reach the sockets Herd gives them and nothing else there; the directories above must let them through
     * already, except the default base Herd made itself (e.g. {@code /tmp/herd-root}), which gets search for others.
     */
    void openStateDir(Path stateDir, Path notifyDir, Path defaultBase) {
        if (sameUser()) {
            return;
        }
        for (Path dir = stateDir.getParent(); dir != null; dir = dir.getParent()) {
            if (canSearch(dir)) {
                continue;
            }
            if (dir.equals(defaultBase)) {
                addSearchForOthers(dir);
                continue;
            }
            throw new StartupException(StartupException.SETUP, "state-dir: the workers (uid " + setup.uid() + ", gid "
                    + setup.gid() + ") cannot pass through " + dir + " (mode " + mode(dir) + ") to reach their sockets in "
                    + stateDir + "; choose a --state-dir under a directory they can enter (e.g. /run/herd), or chmod o+x "
                    + dir);
        }
        for (Path dir : new Path[] {stateDir, notifyDir}) {
            try {
                Files.setAttribute(dir, "unix:gid", setup.gid(), LinkOption.NOFOLLOW_LINKS);
                Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x---"));
            } catch (IOException | UnsupportedOperationException e) {
                throw new StartupException(StartupException.SETUP, "state-dir: cannot let the workers' group (gid "
                        + setup.gid() + ") into " + dir + ": " + e.getMessage());
            }
        }
    }

    /**
     * Gives a socket Herd made for a worker to the worker's user, so that it can connect or send to it.
     *
     * @throws java.io.UncheckedIOException naming the socket when its owner or mode cannot be changed
     */
    void handOver(Path socket) {
        if (sameUser()) {
            return;
        }
        try {
            if (setup.uid() >= 0) {
                Files.setAttribute(socket, "unix:uid", setup.uid(), LinkOption.NOFOLLOW_LINKS);
            }
            Files.setAttribute(socket, "unix:gid", setup.gid(), LinkOption.NOFOLLOW_LINKS);
            Files.setPosixFilePermissions(socket, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw----"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot give the worker's socket " + socket + " to its user: "
                    + e.getMessage(), e);
        }
    }

    /**
     * The worker program must be reachable and executable as the workers' user, not just as the master (root reads
     * anything): a program under {@code /root} would crash-loop every worker with "Permission denied".
     */
    void checkRunnable(Path program, String commandWord) {
        if (sameUser() || setup.uid() < 0) {
            return;
        }
        Path real;
        try {
            real = program.toRealPath();
        } catch (IOException e) {
            return; // CommandCheck found it; a race with its removal shows as the spawn's own error
        }
        for (Path dir = real.getParent(); dir != null; dir = dir.getParent()) {
            if (!canSearch(dir)) {
                throw usage("command: workers running as uid " + setup.uid() + " cannot run '" + commandWord + "' ("
                        + real + "): " + dir + " (mode " + mode(dir) + ") does not let them through; install it where"
                        + " they can reach it, or give another program");
            }
        }
        if (!permits(real, 0111)) {
            throw usage("command: workers running as uid " + setup.uid() + " may not execute '" + commandWord + "' ("
                    + real + ", mode " + mode(real) + "); chmod o+x it, or give another program");
        }
    }

    private boolean canSearch(Path dir) {
        return permits(dir, 0111);
    }

    /** Whether the workers' user has the bits of {@code mask} (as owner, group or other, the one that applies). */
    private boolean permits(Path path, int mask) {
        try {
            Map<String, Object> a = Files.readAttributes(path, "unix:mode,uid,gid");
            int mode = (Integer) a.get("mode");
            int owner = (Integer) a.get("uid");
            int group = (Integer) a.get("gid");
            int uid = setup.uid() >= 0 ? setup.uid() : ROOT;
            if (uid == ROOT) {
                return true;
            }
            if (owner == uid) {
                return (mode & mask & 0700) != 0;
            }
            if (group == setup.gid() || Arrays.stream(setup.groups()).anyMatch(g -> g == group)) {
                return (mode & mask & 0070) != 0;
            }
            return (mode & mask & 0007) != 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static void addSearchForOthers(Path dir) {
        try {
            int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(dir, "unix:mode", (mode & 07777) | 0011, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            throw new StartupException(StartupException.SETUP, "state-dir: cannot let the workers through " + dir + ": "
                    + e.getMessage() + "; chmod o+x " + dir);
        }
    }

    private static String mode(Path dir) {
        try {
            return String.format("%04o", (Integer) Files.getAttribute(dir, "unix:mode") & 07777);
        } catch (IOException e) {
            return "unreadable";
        }
    }

    /** setpriv from util-linux: where the master's PATH (or the usual places) has it. */
    private static String setprivPath(String path) {
        String search = (path == null ? "" : path) + ":/usr/bin:/bin:/usr/sbin:/sbin";
        for (String dir : search.split(":")) {
            if (!dir.startsWith("/")) {
                continue;
            }
            Path candidate = Path.of(dir, "setpriv");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw usage("user: switching the workers' user needs setpriv, which is not installed; install util-linux"
                + " (apt-get install util-linux, dnf install util-linux, apk add setpriv)");
    }

    /** The limit must fit the kernel's ceiling, and a master without root cannot raise its own hard limit. */
    private static void checkOpenFiles(long openFiles) {
        if (openFiles <= 0) {
            return;
        }
        long ceiling = readLong(Path.of("/proc/sys/fs/nr_open"), 1L << 20);
        if (openFiles > ceiling) {
            throw usage("nofile: '" + openFiles + "' is above the kernel's ceiling of " + ceiling
                    + " open files per process (/proc/sys/fs/nr_open); give at most " + ceiling);
        }
        long hard = dev.herd.os.ResourceLimits.openFilesHardLimit();
        if (PrivatePaths.effectiveUid() != ROOT && openFiles > hard) {
            throw usage("nofile: '" + openFiles + "' is above the master's hard limit of " + hard
                    + " open files, which only root can raise; give at most " + hard + ", or raise it (ulimit -Hn,"
                    + " LimitNOFILE= under systemd)");
        }
    }

    private static long readLong(Path file, long fallback) {
        try {
            // readAllLines: Files.readString returned only the first byte of /proc/sys files on the machines measured
            return Long.parseLong(String.join("", Files.readAllLines(file)).strip());
        } catch (IOException | NumberFormatException e) {
            return fallback;
        }
    }

    private static StartupException usage(String message) {
        return new StartupException(StartupException.USAGE, message);
    }
}
