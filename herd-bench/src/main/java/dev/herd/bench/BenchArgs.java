package dev.herd.bench;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The benchmarks' command lines: {@code -h/--help} (prints the usage and exits), flags without a value
 * ({@code --smoke} always, others as the benchmark allows), options that take one value each, and options that
 * may be given more than once.
 *
 * @param values   option name to its value, for the options given (the last one of a repeated option)
 * @param flags    the flags given
 * @param repeated option name to every value given, in order, for the options declared repeatable
 */
record BenchArgs(Map<String, String> values, Set<String> flags, Map<String, List<String>> repeated) {

    static BenchArgs parse(String[] args, String usage, Set<String> valued) {
        return parse(args, usage, valued, Set.of());
    }

    static BenchArgs parse(String[] args, String usage, Set<String> valued, Set<String> flags) {
        return parse(args, usage, valued, flags, Set.of());
    }

    static BenchArgs parse(String[] args, String usage, Set<String> valued, Set<String> flags, Set<String> repeatable) {
        Map<String, String> v = new LinkedHashMap<>();
        Map<String, List<String>> r = new LinkedHashMap<>();
        Set<String> given = new HashSet<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--smoke") || flags.contains(a)) {
                given.add(a);
            } else if (a.equals("-h") || a.equals("--help")) {
                System.out.print(usage);
                System.exit(0);
            } else if (valued.contains(a) || repeatable.contains(a)) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                v.put(a, args[++i]);
                if (repeatable.contains(a)) {
                    r.computeIfAbsent(a, k -> new ArrayList<>()).add(args[i]);
                }
            } else {
                throw new IllegalArgumentException("unknown option " + a);
            }
        }
        return new BenchArgs(v, Set.copyOf(given), r);
    }

    /** Every value given for a repeatable option, in order (empty when none). */
    List<String> all(String option) {
        return repeated.getOrDefault(option, List.of());
    }

    boolean smoke() {
        return flags.contains("--smoke");
    }
}
