package dev.herd.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Option parsing shared by the benchmark programs. */
final class BenchOptions {
    private BenchOptions() {
    }

    /**
     * {@code --systems}: the comma-separated list given, else {@code dflt}; an error naming the first one not in
     * {@code known} and the known ones.
     */
    static List<String> systems(Map<String, String> values, String dflt, List<String> known) {
        List<String> systems = Arrays.stream(values.getOrDefault("--systems", dflt).split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).toList();
        for (String s : systems) {
            if (!known.contains(s)) {
                throw new IllegalArgumentException("unknown system " + s + " (" + String.join(", ", known) + ")");
            }
        }
        return systems;
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
