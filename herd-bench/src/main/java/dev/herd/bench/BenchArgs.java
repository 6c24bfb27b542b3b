package dev.herd.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The benchmarks' command lines: {@code --smoke}, {@code -h/--help} (prints the usage and exits), and options
 * that take one value each.
 *
 * @param values option name to its value, for the options given
 * @param smoke  whether {@code --smoke} was given
 */
record BenchArgs(Map<String, String> values, boolean smoke) {

    static BenchArgs parse(String[] args, String usage, Set<String> valued) {
        Map<String, String> v = new LinkedHashMap<>();
        boolean smoke = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--smoke")) {
                smoke = true;
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
        return new BenchArgs(v, smoke);
    }
}
