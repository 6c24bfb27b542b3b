package dev.herd.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Herd running its demo worker: {@code bin/herd run --workers N --port 0 --host 127.0.0.1 --state-dir DIR}.
 * Reload = SIGHUP to the master; done = its {@code event=reload.done} (or {@code reload.failed}) line.
 */
final class HerdTarget implements Target {

    private final String name;
    private final Path root;
    private final Path work;
    private final int workers;
    private final Duration reloadTimeout;
    private final List<String> extraArgs;
    private final List<String> prefix;
    private final Map<String, String> environment;
    private Process master;
    private EventLog events;
    private String url;

    HerdTarget(Path root, Path work, int workers, Duration reloadTimeout) {
        this(root, work, workers, reloadTimeout, List.of());
    }

    /** {@code extraArgs} go after the usual {@code herd run} options, e.g. {@code --mode proxy}. */
    HerdTarget(Path root, Path work, int workers, Duration reloadTimeout, List<String> extraArgs) {
        this(root, work, workers, reloadTimeout, extraArgs, List.of());
    }

    /** {@code prefix} goes before {@code bin/herd}, e.g. {@code taskset -c 1} (the workers inherit it). */
    HerdTarget(Path root, Path work, int workers, Duration reloadTimeout, List<String> extraArgs, List<String> prefix) {
        this("herd", root, work, workers, reloadTimeout, extraArgs, prefix);
    }

    /** {@code name}: what the reports call this system. */
    HerdTarget(String name, Path root, Path work, int workers, Duration reloadTimeout, List<String> extraArgs,
               List<String> prefix) {
        this(name, root, work, workers, reloadTimeout, extraArgs, prefix, Map.of());
    }

    /** {@code environment}: added to the master's, which its workers inherit (e.g. {@code CATALINA_BASE}). */
    HerdTarget(String name, Path root, Path work, int workers, Duration reloadTimeout, List<String> extraArgs,
               List<String> prefix, Map<String, String> environment) {
        this.name = name;
        this.environment = Map.copyOf(environment);
        this.extraArgs = List.copyOf(extraArgs);
        this.prefix = List.copyOf(prefix);
        this.root = root;
        this.work = work;
        this.workers = workers;
        this.reloadTimeout = reloadTimeout;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void start() throws Exception {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(root.resolve("bin/herd").toString(), "run",
                "--workers", Integer.toString(workers), "--port", "0", "--host", "127.0.0.1",
                "--state-dir", work.resolve("state").toString(), "--api-port", "0"));
        command.addAll(extraArgs);
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(root.toFile()).redirectErrorStream(true);
        pb.environment().putAll(environment);
        pb.environment().put("HERD_NO_BUILD", "1");
        master = pb.start();
        events = new EventLog(master.getInputStream(), work.resolve("herd-master.log"), "herd");
        String listening = events.await(0, EventLog.event("cluster.listening"), Duration.ofSeconds(60),
                "event=cluster.listening");
        String address = EventLog.field(listening, "address");
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        url = "http://127.0.0.1:" + port + "/";
        events.awaitCount(0, EventLog.event("worker.ready"), workers, Duration.ofSeconds(120),
                "event=worker.ready");
        Http.awaitOk(url, Duration.ofSeconds(30));
    }

    @Override
    public String url() {
        return url;
    }

    /** The master's pid (bin/herd execs the JVM). */
    long masterPid() {
        return master.pid();
    }

    /** The master's output since {@link #start}, one logfmt line each. */
    EventLog events() {
        return events;
    }

    @Override
    public Reload reload() throws Exception {
        int mark = events.mark();
        long start = System.nanoTime();
        if (!Procs.signal(master.pid(), "HUP")) {
            throw new IllegalStateException("cannot send SIGHUP to the Herd master " + master.pid());
        }
        String line = events.await(mark,
                EventLog.event("reload.done").or(EventLog.event("reload.failed")), reloadTimeout,
                "event=reload.done after SIGHUP");
        long doneMs = (System.nanoTime() - start) / 1_000_000;
        if (!line.contains("event=reload.done")) {
            return new Reload(false, doneMs, line.replaceFirst("^\\S+\\s+", ""));
        }
        // Herd logs reload.done once every slot runs the new generation; the replaced workers (old_pid of each
        // reload.slot_replaced) may still be draining. Like the other two systems, the reload counts as complete
        // when they have exited too.
        List<ProcessHandle> retired = new ArrayList<>();
        for (String l : events.linesSince(mark)) {
            if (EventLog.event("reload.slot_replaced").test(l) && EventLog.field(l, "old_pid") != null) {
                ProcessHandle.of(Long.parseLong(EventLog.field(l, "old_pid"))).ifPresent(retired::add);
            }
        }
        boolean gone = Procs.awaitExit(retired, reloadTimeout);
        long wall = (System.nanoTime() - start) / 1_000_000;
        return new Reload(gone, wall, "reload.done after " + doneMs + " ms; " + retired.size()
                + " replaced workers still draining then, " + (gone ? "all exited" : "NOT ALL EXITED") + " after "
                + wall + " ms");
    }

    @Override
    public String completionSignal() {
        return "SIGHUP to the master; done when its `event=reload.done` line is out and every worker it replaced"
                + " (`old_pid` of `event=reload.slot_replaced`) has exited";
    }

    @Override
    public void close() {
        if (master != null) {
            // SIGTERM drains (default --drain-timeout 30 s); past 45 s the recorded tree is SIGKILLed
            Procs.stopTree(master.pid(), "TERM", Duration.ofSeconds(45));
            master = null;
        }
    }
}
