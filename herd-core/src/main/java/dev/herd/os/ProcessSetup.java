package dev.herd.os;

import java.util.Arrays;

/**
 * What a worker gets between fork and exec that posix_spawn cannot give: the umask, the open-files limit, and a
 * switch to another user with its groups (done by util-linux's setpriv as the last step before the program, so that
 * joining the cgroup and opening the log still happen as the master).
 *
 * @param uid        the user to switch to, or -1 to keep the master's
 * @param gid        the primary group to switch to, or -1 to keep it
 * @param groups     the supplementary groups when switching (empty: none)
 * @param umask      0 to 0777, or -1 to keep the master's
 * @param openFiles  RLIMIT_NOFILE (soft and hard), or 0 to keep the master's
 * @param setpriv    the absolute path of setpriv, needed when uid or gid is set
 */
public record ProcessSetup(int uid, int gid, int[] groups, int umask, long openFiles, String setpriv) {
    /** Nothing to change. */
    public static final ProcessSetup NONE = new ProcessSetup(-1, -1, new int[0], -1, 0, null);

    public ProcessSetup {
        groups = groups.clone();
        if ((uid >= 0 || gid >= 0) && (setpriv == null || !setpriv.startsWith("/"))) {
            throw new IllegalArgumentException("switching user or group needs setpriv's absolute path");
        }
    }

    @Override
    public int[] groups() {
        return groups.clone();
    }

    boolean switchesIdentity() {
        return uid >= 0 || gid >= 0;
    }

    boolean changesAnything() {
        return switchesIdentity() || umask >= 0 || openFiles > 0;
    }

    /**
     * The shell words run before the rest of the wrapper: umask and ulimit (the shell's builtins, so no program
     * runs for them); a failed ulimit stops the worker with the reason in its log.
     */
    String shellPrefix() {
        StringBuilder sb = new StringBuilder();
        if (umask >= 0) {
            sb.append("umask ").append(String.format("%04o", umask)).append("; ");
        }
        if (openFiles > 0) {
            sb.append("ulimit -n ").append(openFiles).append(" || { echo \"herd: cannot set the worker's open-files")
                    .append(" limit to ").append(openFiles).append(" (ulimit -n failed), so it did not start\" >&2;")
                    .append(" exit 125; }; ");
        }
        return sb.toString();
    }

    /** The words that switch user and group in front of the program (empty when nothing switches). */
    String[] switchWords() {
        if (!switchesIdentity()) {
            return new String[0];
        }
        var words = new java.util.ArrayList<String>();
        words.add(setpriv);
        if (uid >= 0) {
            words.add("--reuid=" + uid);
        }
        if (gid >= 0) {
            words.add("--regid=" + gid);
        }
        if (groups.length == 0) {
            words.add("--clear-groups");
        } else {
            words.add("--groups=" + String.join(",", Arrays.stream(groups).mapToObj(Integer::toString).toList()));
        }
        words.add("--");
        return words.toArray(String[]::new);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProcessSetup p && uid == p.uid && gid == p.gid && Arrays.equals(groups, p.groups)
                && umask == p.umask && openFiles == p.openFiles && java.util.Objects.equals(setpriv, p.setpriv);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(uid, gid, Arrays.hashCode(groups), umask, openFiles, setpriv);
    }

    @Override
    public String toString() {
        return "ProcessSetup[uid=" + uid + ", gid=" + gid + ", groups=" + Arrays.toString(groups) + ", umask=" + umask
                + ", openFiles=" + openFiles + "]";
    }
}
