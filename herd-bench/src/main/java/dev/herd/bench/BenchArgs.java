package dev.herd.bench;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The benchmarks' command lines: {@code -h/--help} (prints the usage and exits), flags without a value
 * ({@code --smoke} always, others as the benchmark allows), and options that take one value each.
 *
 * @param values option name to its value, for the options given
 * @param flags  the flags given
 */
record BenchArgs(Map<String, String> values, Set<String> flags) {

    static BenchArgs parse(String[] args, String usage, Set<String> valued) {
        return parse(args, usage, valued, Set.of());
    }

    static BenchArgs parse(String[] args, String usage, Set<String> valued, Set<String> flags) {
        Map<String, String> v = new LinkedHashMap<>();
        Set<String> given = new HashSet<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--smoke") || flags.contains(a)) {
                given.add(a);
            } else if (a.equals("-h") || a.equals("--help")) {
                System.out.print(usage);
                System.exit(0);
            } else if (valued.contains(a)) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                v.put(a, args[++i]);
            } else {
                throw new IllegalArgumentException("unknown option " + a);
            }
        }
        return new BenchArgs(v, Set.copyOf(given));
    }

    boolean smoke() {
        return flags.contains("--smoke");
    }
}
