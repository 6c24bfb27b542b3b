package dev.herd.os;

/**
 * How a process ended: {@code signal == 0} means it exited with {@code code}; otherwise it was killed
 * by {@code signal} and {@code code} is 0.
 */
public record ExitStatus(int code, int signal) {

    public ExitStatus {
        if (signal < 0 || code < 0 || (signal != 0 && code != 0)) {
            throw new IllegalArgumentException("exit code " + code + " with signal " + signal);
        }
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
