package dev.herd.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Small process helpers: signals by pid, bounded waits, killing a recorded process tree. */
final class Procs {

    private Procs() {
    }

    /** Sends a signal by name (HUP, INT, TERM, KILL, USR2) with /bin/kill; returns false if it failed. */
    static boolean signal(long pid, String signal) {
        try {
            Process p = new ProcessBuilder("kill", "-s", signal, Long.toString(pid))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!waitFor(p, Duration.ofSeconds(5))) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Waits for a process at most {@code timeout}, not cut short by an interrupt (cleanup must finish; every
     * wait here is bounded). The interrupt status is restored afterwards.
     */
    static boolean waitFor(Process p, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Like {@link #sleep} but not cut short by an interrupt (restored afterwards); for bounded cleanup waits. */
    static void pause(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        boolean interrupted = false;
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(left);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The process and all its live descendants, recorded now (so reparented children are still known later). */
    static List<ProcessHandle> tree(long pid) {
        List<ProcessHandle> all = new ArrayList<>();
        ProcessHandle.of(pid).ifPresent(h -> {
            all.add(h);
            h.descendants().forEach(all::add);
        });
        return all;
    }

    /** Waits until none of the handles is alive, at most {@code timeout}. */
    static boolean awaitExit(List<ProcessHandle> handles, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (handles.stream().noneMatch(ProcessHandle::isAlive)) {
                return true;
            }
            pause(50);
        }
        return handles.stream().noneMatch(ProcessHandle::isAlive);
    }

    /**
     * Stops a process tree: {@code signal} to the root, wait up to {@code grace} for the whole recorded tree,
     * then SIGKILL whatever is left (root, recorded descendants, and descendants found now).
     */
    static void stopTree(long pid, String signal, Duration grace) {
        List<ProcessHandle> tree = tree(pid);
        if (tree.isEmpty()) {
            return;
        }
        signal(pid, signal);
        if (awaitExit(tree, grace)) {
            return;
        }
        killAll(tree);
    }

    static void killAll(List<ProcessHandle> handles) {
        List<ProcessHandle> all = new ArrayList<>(handles);
        for (ProcessHandle h : handles) {
            if (h.isAlive()) {
                h.descendants().forEach(all::add);
            }
        }
        for (ProcessHandle h : all) {
            if (h.isAlive()) {
                h.destroyForcibly();
            }
        }
        awaitExit(all, Duration.ofSeconds(5));
    }

    /** Result of {@link #run}. */
    record Result(int exitCode, String output, long millis) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    /**
     * Runs a command to completion with a time bound (killing its tree past it); output (stdout and stderr) is
     * returned and appended to {@code log} if given.
     */
    static Result run(List<String> command, Path dir, Map<String, String> env, Duration timeout, Path log)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        if (env != null) {
            pb.environment().putAll(env);
        }
        Path out = Files.createTempFile("herd-bench-cmd", ".out");
        pb.redirectOutput(out.toFile());
        long start = System.nanoTime();
        Process p = pb.start();
        try {
            boolean done = waitFor(p, timeout);
            if (!done) {
                killAll(tree(p.pid()));
                waitFor(p, Duration.ofSeconds(5));
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            String text = Files.readString(out, StandardCharsets.UTF_8);
            if (log != null) {
                Files.writeString(log, "$ " + String.join(" ", command) + "\n" + text,
                        StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.APPEND);
            }
            return new Result(done ? p.exitValue() : -1, text, millis);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Runs a short command and returns its trimmed output, or empty on any failure. */
    static Optional<String> capture(List<String> command) {
        try {
            Result r = run(command, null, null, Duration.ofSeconds(10), null);
            return r.ok() ? Optional.of(r.output().trim()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
