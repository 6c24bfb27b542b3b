package dev.herd.os;

/**
 * How a process ended: {@code signal == 0} means it exited with {@code code}; otherwise it was killed
 * by {@code signal} and {@code code} is 0. {@link #unknown()} (code -1): the process was not this one's child (a
 * worker adopted from an earlier master), so its end was seen through its pidfd and nobody can tell how it ended.
 */
public record ExitStatus(int code, int signal) {
    private static final ExitStatus UNKNOWN = new ExitStatus(-1, 0);

    public ExitStatus {
        if (signal < 0 || code < -1 || (signal != 0 && code != 0)) {
            throw new IllegalArgumentException("exit code " + code + " with signal " + signal);
        }
    }

    /** The end of a process that was not our child: only its parent (init, after a master died) got its status. */
    public static ExitStatus unknown() {
        return UNKNOWN;
    }

    public boolean known() {
        return code >= 0;
    }

    /**
     * Decodes a waitpid status word (WIFEXITED / WIFSIGNALED). Stopped or continued states are not
     * expected because Herd never waits with WUNTRACED or WCONTINUED.
     */
    public static ExitStatus fromWaitStatus(int raw) {
        int low = raw & 0x7f;
        if (low == 0) {
            return new ExitStatus((raw >> 8) & 0xff, 0);
        }
        if (low != 0x7f && raw != 0xffff) {
            return new ExitStatus(0, low);
        }
        throw new IllegalArgumentException("wait status 0x" + Integer.toHexString(raw) + " is not a termination");
    }

    public boolean signaled() {
        return signal != 0;
    }

    /** {@code "exit code 3"} or {@code "signal 9 (KILL)"}. */
    public String describe() {
        if (!known()) {
            return "exit status unknown (adopted: not this master's child)";
        }
        if (!signaled()) {
            return "exit code " + code;
        }
        for (Signal s : Signal.values()) {
            if (s.number() == signal) {
                return "signal " + signal + " (" + s.name() + ")";
            }
        }
        return "signal " + signal;
    }
}
