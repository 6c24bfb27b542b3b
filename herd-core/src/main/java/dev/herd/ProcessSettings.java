package dev.herd;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How each worker process is started, besides its command: who it runs as, where, with what added to its environment,
 * and under which umask and open-files limit. Everything unset is the master's own. The user and group are looked up
 * when the master starts (a missing one stops it there); switching to them needs the master to run as root.
 *
 * @param user       the account workers run as (name or uid), with its groups as login sets them; null for the master's
 * @param group      the workers' primary group (name or gid); null for the user's own (or the master's without a user)
 * @param directory  the workers' working directory; null for the master's
 * @param env        variables added to the master's environment for every worker (an upgrade's come on top)
 * @param umask      the workers' file mode creation mask, 0 to 0777; -1 for the master's
 * @param openFiles  the workers' RLIMIT_NOFILE (soft and hard); 0 for the master's
 */
public record ProcessSettings(String user, String group, Path directory, Map<String, String> env, int umask,
                              long openFiles) {
    /** Workers run as the master does, where it does. */
    public static final ProcessSettings INHERIT = new ProcessSettings(null, null, null, Map.of(), -1, 0);

    public ProcessSettings {
        ClusterSpec.check(user == null || !user.isBlank() && user.indexOf(':') < 0, "user", user,
                "must be a user name or uid");
        ClusterSpec.check(group == null || !group.isBlank() && group.indexOf(':') < 0, "group", group,
                "must be a group name or gid");
        directory = directory == null ? null : directory.toAbsolutePath().normalize();
        env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(env, "env")));
        for (Map.Entry<String, String> e : env.entrySet()) {
            ClusterSpec.check(validName(e.getKey()), "env", e.getKey() + "=" + e.getValue(),
                    "needs a variable name of letters, digits and '_', not starting with a digit");
            ClusterSpec.check(e.getValue() != null && e.getValue().indexOf('\0') < 0, "env", e.getKey(),
                    "has a value with a NUL character, which no environment can hold");
        }
        ClusterSpec.check(umask >= -1 && umask <= 0777, "umask", umask < 0 ? umask : Integer.toOctalString(umask),
                "must be an octal mode between 000 and 777, e.g. 027");
        ClusterSpec.check(openFiles >= 0, "nofile", openFiles, "must be a positive number of files");
    }

    /**
     * A umask as the shell's {@code umask} builtin takes it: octal digits, {@code 027} or {@code 0027}.
     *
     * @throws IllegalArgumentException naming the value and the form
     */
    public static int parseUmask(String text) {
        String digits = text.strip();
        if (digits.isEmpty() || digits.length() > 4 || !digits.chars().allMatch(c -> c >= '0' && c <= '7')
                || Integer.parseInt(digits, 8) > 0777) {
            throw new IllegalArgumentException("'" + text + "' is not a umask; give octal digits between 000 and 777,"
                    + " e.g. 027 (group may read, others nothing)");
        }
        return Integer.parseInt(digits, 8);
    }

    /** A name a shell could export: what dotenv files and {@code --env} accept. */
    static boolean validName(String name) {
        if (name == null || name.isEmpty() || Character.isDigit(name.charAt(0))) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')) {
                return false;
            }
        }
        return true;
    }

    /** Whether anything differs from the master's own. */
    public boolean changesAnything() {
        return !equals(INHERIT);
    }
}
