package dev.herd.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code /proc} says about one process at one moment: resident memory ({@code status}: VmRSS and its anonymous,
 * file and shared-memory parts; {@code smaps_rollup}: Pss), its threads (the entries of {@code task/} and their
 * names) and the CPU it has used ({@code stat}: utime + stime in clock ticks; {@code task/*}/{@code schedstat}: run
 * time in ns, summed over the threads alive now).
 *
 * @param rssKb       VmRSS in KiB
 * @param rssAnonKb   RssAnon in KiB (heap, metaspace, thread stacks, malloc: memory the process itself owns)
 * @param rssFileKb   RssFile in KiB (mapped files: the JDK's libraries, the CDS/AOT archive, jars)
 * @param pssKb       Pss in KiB (resident memory with every page shared with N processes counted 1/N)
 * @param threads     entries of {@code /proc/PID/task}
 * @param threadNames each thread's {@code comm} (at most 15 characters, as the kernel keeps it) and how many have it
 * @param cpuTicks    utime + stime from {@code /proc/PID/stat}
 * @param runNanos    the sum of the first field of {@code /proc/PID/task/TID/schedstat} over the threads alive now
 */
record ProcSample(long rssKb, long rssAnonKb, long rssFileKb, long pssKb, int threads, Map<String, Integer> threadNames,
                  long cpuTicks, long runNanos) {

    private static final Pattern KB = Pattern.compile("^(\\w+):\\s+(\\d+) kB", Pattern.MULTILINE);

    /** Reads the sample; throws NoSuchFileException once the process is gone. */
    static ProcSample of(long pid) throws IOException {
        Path proc = Path.of("/proc", Long.toString(pid));
        Map<String, Long> status = kb(Files.readString(proc.resolve("status"), StandardCharsets.UTF_8));
        long pss = -1;
        try {
            pss = kb(Files.readString(proc.resolve("smaps_rollup"), StandardCharsets.UTF_8)).getOrDefault("Pss", -1L);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            // smaps_rollup needs ptrace access (same user); leave Pss out
        }
        Map<String, Integer> names = new TreeMap<>();
        long run = 0;
        Map<String, Long> threads = threadRunNanos(pid);
        for (Map.Entry<String, Long> thread : threads.entrySet()) {
            names.merge(thread.getKey().substring(thread.getKey().indexOf(' ') + 1), 1, Integer::sum);
            run += thread.getValue();
        }
        return new ProcSample(status.getOrDefault("VmRSS", -1L), status.getOrDefault("RssAnon", -1L),
                status.getOrDefault("RssFile", -1L), pss, threads.size(), names,
                cpuTicks(Files.readString(proc.resolve("stat"), StandardCharsets.UTF_8)), run);
    }

    /** Each live thread's run time in ns (the first field of its schedstat), keyed {@code "TID NAME"}. */
    static Map<String, Long> threadRunNanos(long pid) throws IOException {
        Map<String, Long> run = new java.util.HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                try {
                    String comm = Files.readString(task.resolve("comm"), StandardCharsets.UTF_8).strip();
                    String sched = Files.readString(task.resolve("schedstat"), StandardCharsets.UTF_8).strip();
                    run.put(task.getFileName() + " " + comm, Long.parseLong(sched.split("\\s+")[0]));
                } catch (NoSuchFileException e) {
                    // the thread exited meanwhile
                }
            }
        }
        return run;
    }

    /** {@code Key: N kB} lines of a /proc file. */
    static Map<String, Long> kb(String text) {
        Map<String, Long> values = new TreeMap<>();
        Matcher m = KB.matcher(text);
        while (m.find()) {
            values.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return values;
    }

    /**
     * utime + stime (fields 14 and 15) of a {@code /proc/PID/stat} line. The command name (field 2) is in parentheses
     * and may hold spaces and parentheses itself, so the fields are counted from the last ')'.
     */
    static long cpuTicks(String stat) {
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        // after[0] is field 3 (state): field N is after[N - 3]
        return Long.parseLong(after[14 - 3]) + Long.parseLong(after[15 - 3]);
    }

    /** Thread names as {@code name×N, other} for a report line. */
    String describeThreads() {
        List<String> parts = new ArrayList<>();
        threadNames.forEach((name, count) -> parts.add(count == 1 ? name : name + "×" + count));
        return String.join(", ", parts);
    }
}
