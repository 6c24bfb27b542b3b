package dev.herd.bench;

import java.util.Map;

/** Option parsing shared by the benchmark programs. */
final class BenchOptions {
    private BenchOptions() {
    }

    /** The option's whole number, {@code dflt} when absent; an error naming the option when not a number in range. */
    static int intOpt(Map<String, String> values, String name, int dflt, int min, int max) {
        String s = values.get(name);
        if (s == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(s);
            if (n < min || n > max) {
                throw new IllegalArgumentException(name + " must be in " + min + ".." + max + ", got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, got " + s);
        }
    }
}
