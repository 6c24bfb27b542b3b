package dev.herd.examples.jetty;

/** One-line log messages on stdout. Under Herd stdout is a file, so every line is flushed at once. */
final class Log {

    private Log() {
    }

    static void info(String line) {
        System.out.println(line);
        System.out.flush();
    }

    static void error(String line) {
        System.err.println(line);
        System.err.flush();
    }
}
