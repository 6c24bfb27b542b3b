package dev.herd.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs wrk (HTTP/1.1 keep-alive load) and parses its report. */
final class Wrk {

    /** wrk processes still running, for the benchmark's shutdown hook. */
    static final java.util.Set<Process> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static void killAll() {
        for (Process p : LIVE) {
            p.destroyForcibly();
        }
    }

    /** What wrk reported for one run. Latencies in milliseconds. */
    record Result(long requests, double seconds, double requestsPerSecond, double p50Millis, double p99Millis,
                  double maxMillis, long connectErrors, long readErrors, long writeErrors, long timeouts,
                  long non2xx) {

        long socketErrors() {
            return connectErrors + readErrors + writeErrors + timeouts;
        }
    }

    /** A wrk process under way; {@link #stop} ends it early (SIGINT makes wrk print its report). */
    static final class Run implements AutoCloseable {
        private final Process process;
        private final Path output;
        private final long startNanos = System.nanoTime();

        private Run(Process process, Path output) {
            this.process = process;
            this.output = output;
        }

        double elapsedSeconds() {
            return (System.nanoTime() - startNanos) / 1e9;
        }

        /** Stops wrk now (SIGINT) if it is still running, waits for its report and parses it. */
        Result stop() throws IOException {
            if (process.isAlive()) {
                Procs.signal(process.pid(), "INT");
            }
            return await(Duration.ofSeconds(15));
        }

        /** Waits for wrk to finish on its own, at most {@code timeout}. */
        Result await(Duration timeout) throws IOException {
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    throw new IOException("wrk did not finish within " + timeout.toSeconds() + " s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
                throw new IOException("interrupted waiting for wrk", e);
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IOException("wrk exited " + process.exitValue() + ": " + text.strip());
            }
            return parse(text);
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                process.destroyForcibly();
                try {
                    process.waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private final String wrk;
    private final int threads;
    private final int connections;
    /** Put before the wrk command, e.g. {@code taskset -c 0}. */
    private final List<String> prefix;

    Wrk(String wrk, int threads, int connections) {
        this(wrk, threads, connections, List.of());
    }

    Wrk(String wrk, int threads, int connections, List<String> prefix) {
        this.wrk = wrk;
        this.threads = threads;
        this.connections = connections;
        this.prefix = List.copyOf(prefix);
    }

    String describe(String duration) {
        return "wrk -t" + threads + " -c" + connections + " -d" + duration + " --latency";
    }

    /** Starts wrk for at most {@code maxSeconds}; its report goes to {@code output}. */
    Run start(String url, long maxSeconds, Path output) throws IOException {
        List<String> command = new java.util.ArrayList<>(prefix);
        command.addAll(List.of(wrk, "-t" + threads, "-c" + connections, "-d" + maxSeconds + "s", "--latency", url));
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        LIVE.add(p);
        p.onExit().thenRun(() -> LIVE.remove(p));
        return new Run(p, output);
    }

    /** Runs wrk for {@code seconds} and returns its report. */
    Result run(String url, long seconds, Path output) throws IOException {
        try (Run r = start(url, seconds, output)) {
            return r.await(Duration.ofSeconds(seconds + 30));
        }
    }

    private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in ([0-9.]+)(us|ms|s|m|h)");
    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern SOCKET = Pattern.compile(
            "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern NON2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
    private static final Pattern P50 = Pattern.compile("\\n\\s+50%\\s+([0-9.]+)(us|ms|s|m)\\b");
    private static final Pattern P99 = Pattern.compile("\\n\\s+99%\\s+([0-9.]+)(us|ms|s|m)\\b");
    private static final Pattern LATENCY = Pattern.compile(
            "Latency\\s+([0-9.]+)(us|ms|s|m)\\s+([0-9.]+)(us|ms|s|m)\\s+([0-9.]+)(us|ms|s|m)");

    static Result parse(String text) throws IOException {
        Matcher req = REQUESTS.matcher(text);
        Matcher rps = RPS.matcher(text);
        Matcher p99 = P99.matcher(text);
        Matcher p50 = P50.matcher(text);
        if (!req.find() || !rps.find() || !p99.find() || !p50.find()) {
            throw new IOException("cannot parse wrk output:\n" + text);
        }
        long connect = 0;
        long read = 0;
        long write = 0;
        long timeout = 0;
        Matcher s = SOCKET.matcher(text);
        if (s.find()) {
            connect = Long.parseLong(s.group(1));
            read = Long.parseLong(s.group(2));
            write = Long.parseLong(s.group(3));
            timeout = Long.parseLong(s.group(4));
        }
        Matcher n = NON2XX.matcher(text);
        long non2xx = n.find() ? Long.parseLong(n.group(1)) : 0;
        Matcher lat = LATENCY.matcher(text);
        double max = lat.find() ? millis(lat.group(5), lat.group(6)) : Double.NaN;
        return new Result(Long.parseLong(req.group(1)), millis(req.group(2), req.group(3)) / 1000.0,
                Double.parseDouble(rps.group(1)), millis(p50.group(1), p50.group(2)),
                millis(p99.group(1), p99.group(2)), max, connect, read, write, timeout, non2xx);
    }

    static double millis(String value, String unit) {
        double v = Double.parseDouble(value);
        return switch (unit) {
            case "us" -> v / 1000.0;
            case "ms" -> v;
            case "s" -> v * 1000.0;
            case "m" -> v * 60_000.0;
            case "h" -> v * 3_600_000.0;
            default -> throw new IllegalArgumentException("unit " + unit);
        };
    }
}
