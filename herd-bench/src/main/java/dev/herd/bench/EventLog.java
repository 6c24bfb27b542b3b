package dev.herd.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a supervisor's stdout line by line into a log file and a list that can be waited on; each line is stamped
 * with {@link System#nanoTime()} when it was read.
 */
final class EventLog {

    private final List<String> lines = new ArrayList<>();
    private final List<Long> stamps = new ArrayList<>();
    private boolean closed;

    EventLog(InputStream in, Path file, String name) throws IOException {
        Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        Thread t = new Thread(() -> pump(in, out), "events-" + name);
        t.setDaemon(true);
        t.start();
    }

    private void pump(InputStream in, Writer out) {
        try (in; out; BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                out.write(line);
                out.write('\n');
                out.flush();
                long stamp = System.nanoTime();
                synchronized (this) {
                    lines.add(line);
                    stamps.add(stamp);
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // the process went away; waiters see "closed"
        } finally {
            synchronized (this) {
                closed = true;
                notifyAll();
            }
        }
    }

    /** Index to pass to {@link #await} so that only lines from now on count. */
    synchronized int mark() {
        return lines.size();
    }

    synchronized List<String> linesSince(int from) {
        return List.copyOf(lines.subList(from, lines.size()));
    }

    /** Waits for the first line at index >= {@code from} matching {@code match}. */
    synchronized String await(int from, Predicate<String> match, Duration timeout, String what)
            throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int i = from;
        while (true) {
            for (; i < lines.size(); i++) {
                if (match.test(lines.get(i))) {
                    return lines.get(i);
                }
            }
            if (closed) {
                throw new TimeoutException("output ended (process exited?) before " + what);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("no " + what + " within " + timeout.toSeconds() + " s");
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Counts matching lines at index >= from, waiting until there are {@code count}. */
    synchronized void awaitCount(int from, Predicate<String> match, int count, Duration timeout, String what)
            throws TimeoutException, InterruptedException {
        awaitCountStamp(from, match, count, timeout, what);
    }

    /**
     * Like {@link #awaitCount}; returns the {@link System#nanoTime()} at which the {@code count}-th matching line was
     * read.
     */
    synchronized long awaitCountStamp(int from, Predicate<String> match, int count, Duration timeout, String what)
            throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            int n = 0;
            for (int i = from; i < lines.size(); i++) {
                if (match.test(lines.get(i)) && ++n == count) {
                    return stamps.get(i);
                }
            }
            if (closed) {
                throw new TimeoutException("output ended (process exited?) before " + what);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("only " + n + " of " + count + " " + what + " within "
                        + timeout.toSeconds() + " s");
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** A line and the {@link System#nanoTime()} at which it was read. */
    record Stamped(String line, long nanos) {
    }

    /** The lines at index >= {@code from} read so far that match, with when each was read. */
    synchronized List<Stamped> matching(int from, Predicate<String> match) {
        List<Stamped> found = new ArrayList<>();
        for (int i = from; i < lines.size(); i++) {
            if (match.test(lines.get(i))) {
                found.add(new Stamped(lines.get(i), stamps.get(i)));
            }
        }
        return found;
    }

    /** The value of a logfmt field ({@code key=value} or {@code key="value"}) in a line, or null. */
    static String field(String line, String key) {
        Matcher m = Pattern.compile("(?:^|\\s)" + Pattern.quote(key) + "=(\"[^\"]*\"|\\S+)").matcher(line);
        if (!m.find()) {
            return null;
        }
        String v = m.group(1);
        return v.startsWith("\"") ? v.substring(1, v.length() - 1) : v;
    }

    static Predicate<String> event(String name) {
        return line -> line.contains("event=" + name + " ") || line.endsWith("event=" + name);
    }
}
