package dev.herd.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the cgroup v2 directory this process lives in: its path in the unified hierarchy ({@code 0::/PATH} in
 * /proc/self/cgroup) under the mount point of that hierarchy (the {@code cgroup2} line of /proc/self/mountinfo:
 * {@code /sys/fs/cgroup} on a pure v2 system, {@code /sys/fs/cgroup/unified} on a hybrid one).
 */
public final class OwnCgroup {
    private OwnCgroup() {}

    /**
     * This process's cgroup.
     *
     * @throws IllegalStateException naming why there is none to use (no cgroup v2, not mounted here)
     */
    public static Cgroup find() {
        try {
            return new Cgroup(locate(Files.readString(Path.of("/proc/self/cgroup")),
                    Files.readString(Path.of("/proc/self/mountinfo"))));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/cgroup or /proc/self/mountinfo: " + e.getMessage(), e);
        }
    }

    /** The directory of the cgroup named in {@code procSelfCgroup} under the cgroup2 mount of {@code mountinfo}. */
    static Path locate(String procSelfCgroup, String mountinfo) {
        String path = null;
        for (String line : procSelfCgroup.split("\n")) {
            if (line.startsWith("0::")) {
                path = line.substring(3).trim();
            }
        }
        if (path == null || !path.startsWith("/")) {
            throw new IllegalStateException("no cgroup v2 (unified) hierarchy: /proc/self/cgroup has no 0:: line");
        }
        for (String line : mountinfo.split("\n")) {
            // ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER-OPTIONS
            int separator = line.indexOf(" - ");
            if (separator < 0 || !line.substring(separator + 3).startsWith("cgroup2 ")) {
                continue;
            }
            String[] fields = line.substring(0, separator).split(" ");
            String root = unescape(fields[3]);
            String mountPoint = unescape(fields[4]);
            String relative = relativeTo(path, root);
            if (relative != null) {
                return relative.isEmpty() ? Path.of(mountPoint) : Path.of(mountPoint, relative);
            }
        }
        throw new IllegalStateException("the cgroup v2 hierarchy holding " + path + " is not mounted in this mount namespace");
    }

    /** PATH relative to the mount's ROOT ("" for the root itself), or null when PATH is outside it. */
    private static String relativeTo(String path, String root) {
        if (root.equals("/")) {
            return path.substring(1);
        }
        if (path.equals(root)) {
            return "";
        }
        return path.startsWith(root + "/") ? path.substring(root.length() + 1) : null;
    }

    /** mountinfo writes space, tab, newline and backslash as octal escapes ({@code \040}). */
    private static String unescape(String field) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7')) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
