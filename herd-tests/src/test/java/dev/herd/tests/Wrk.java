package dev.herd.tests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;

/**
 * Real load from wrk (Debian's package): HTTP/1.1 keep-alive connections, stopped with SIGINT when the test
 * is done (wrk then prints its summary), bounded by its own -d duration in any case. The Lua script counts
 * responses per worker generation.
 */
final class Wrk implements AutoCloseable {
    static final String BINARY = "/usr/bin/wrk";

    /** What wrk reported. */
    record Result(long requests, long connectErrors, long readErrors, long writeErrors, long timeouts, long non2xx,
                  Map<Integer, Long> generations, long unparsed, String output) {
        long socketErrors() {
            return connectErrors + readErrors + writeErrors + timeouts;
        }

        @Override
        public String toString() {
            return "requests=" + requests + " socketErrors=" + socketErrors() + " (connect=" + connectErrors
                    + " read=" + readErrors + " write=" + writeErrors + " timeout=" + timeouts + ") non2xx=" + non2xx
                    + " generations=" + generations + " unparsed=" + unparsed;
        }
    }

    private final Process process;
    private final Path output;

    private Wrk(Process process, Path output) {
        this.process = process;
        this.output = output;
    }

    static Wrk start(int port, int connections, Duration maxDuration, Path dir) {
        return start(port, 1, connections, maxDuration, dir);
    }

    /** wrk with {@code threads} threads sharing {@code connections} keep-alive connections to {@code /}. */
    static Wrk start(int port, int threads, int connections, Duration maxDuration, Path dir) {
        return start(List.of(), port, threads, connections, maxDuration, dir);
    }

    /**
     * The same at the lowest CPU priority ({@code nice -n 19}): it sends as fast as it can while the workers under
     * test, whose JVMs start on the same two cores during every reload, get the CPU first.
     */
    static Wrk startYielding(int port, int threads, int connections, Duration maxDuration, Path dir) {
        return start(List.of("nice", "-n", "19"), port, threads, connections, maxDuration, dir);
    }

    /** wrk to {@code host} (e.g. a network namespace's address) rather than loopback. */
    static Wrk startAt(String host, int port, int threads, int connections, Duration maxDuration, Path dir) {
        return start(List.of(), host, port, threads, connections, maxDuration, dir);
    }

    private static Wrk start(List<String> prefix, int port, int threads, int connections, Duration maxDuration, Path dir) {
        return start(prefix, "127.0.0.1", port, threads, connections, maxDuration, dir);
    }

    private static Wrk start(List<String> prefix, String host, int port, int threads, int connections,
                             Duration maxDuration, Path dir) {
        try {
            Path script = Path.of(Wrk.class.getResource("/wrk/generations.lua").toURI());
            Path output = dir.resolve("wrk.out");
            List<String> command = new java.util.ArrayList<>(prefix);
            command.addAll(List.of(BINARY, "-t" + threads, "-c" + connections, "-d" + maxDuration.toSeconds() + "s",
                    "--timeout", "10s", "-s", script.toString(), "http://" + host + ":" + port + "/"));
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true).redirectOutput(output.toFile()).start();
            return new Wrk(process, output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits until wrk has sent at least {@code count} requests' worth of time: its connections are up. */
    void awaitRunning() {
        await("wrk running").atMost(Duration.ofSeconds(10)).until(process::isAlive);
    }

    /** Stops wrk (SIGINT makes it print its summary) and parses what it printed. */
    Result stop() {
        Shell.run("kill", "-INT", Long.toString(process.pid()));
        await("wrk summary").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> !process.isAlive());
        try {
            return parse(Files.readString(output));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Result parse(String text) {
        long requests = longOf(text, "(\\d+) requests in");
        long connect = 0, read = 0, write = 0, timeout = 0;
        Matcher errors = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)").matcher(text);
        if (errors.find()) {
            connect = Long.parseLong(errors.group(1));
            read = Long.parseLong(errors.group(2));
            write = Long.parseLong(errors.group(3));
            timeout = Long.parseLong(errors.group(4));
        }
        Matcher non2xx = Pattern.compile("Non-2xx or 3xx responses: (\\d+)").matcher(text);
        long bad = non2xx.find() ? Long.parseLong(non2xx.group(1)) : 0;
        Map<Integer, Long> generations = new TreeMap<>();
        long unparsed = -1;
        Matcher line = Pattern.compile("HERD-GENERATIONS (\\S*) unparsed=(\\d+)").matcher(text);
        if (line.find()) {
            for (String part : line.group(1).split(",")) {
                if (!part.isEmpty()) {
                    String[] kv = part.split("=");
                    generations.put(Integer.parseInt(kv[0]), Long.parseLong(kv[1]));
                }
            }
            unparsed = Long.parseLong(line.group(2));
        }
        if (requests < 0 || unparsed < 0) {
            throw new IllegalStateException("cannot parse wrk output:\n" + text);
        }
        return new Result(requests, connect, read, write, timeout, bad, generations, unparsed, text);
    }

    private static long longOf(String text, String regex) {
        Matcher matcher = Pattern.compile(regex).matcher(text);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
