package dev.herd.os;

/** The Linux x86_64 signals Herd sends or handles, with their numbers. */
public enum Signal {
    HUP(1), INT(2), QUIT(3), KILL(9), USR1(10), USR2(12), TERM(15), CHLD(17), CONT(18), STOP(19),
    TTIN(21), TTOU(22), WINCH(28);

    private final int number;

    Signal(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }

    /** @throws IllegalArgumentException when the number is not one of these signals */
    public static Signal of(int number) {
        for (Signal s : values()) {
            if (s.number == number) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown signal number " + number);
    }
}
