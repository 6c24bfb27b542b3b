package dev.herd.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Herd's takeover: the demo cluster in one mode; one "reload" = {@code bin/herd run --takeover} with the same
 * arguments, done when the old master has exited (the new one then holds the sockets and the workers). In proxy mode
 * the old master goes on forwarding the keep-alive connections it carries until they end (here: the end of the wrk
 * run, or the drain timeout), so there it is done when the old master has handed over ({@code master.handed_over}:
 * it accepts nothing more, the new one accepts every new connection).
 */
final class HerdTakeoverTarget implements Target {
    private final String name;
    private final List<String> modeArgs;
    private final boolean proxy;
    private final Path root;
    private final Path work;
    private final int workers;
    private final Duration timeout;
    private final List<Process> masters = new ArrayList<>();
    private final List<EventLog> logs = new ArrayList<>();
    private final List<Long> workerPids = new ArrayList<>();
    private List<String> args;
    private Path stateDir;
    private String url;

    HerdTakeoverTarget(String name, List<String> modeArgs, Path root, Path work, int workers, Duration timeout) {
        this.name = name;
        this.modeArgs = List.copyOf(modeArgs);
        this.proxy = modeArgs.contains("proxy");
        this.root = root;
        this.work = work;
        this.workers = workers;
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void start() throws Exception {
        // a short path: the state dir's socket paths must fit in 107 bytes
        stateDir = java.nio.file.Files.createTempDirectory("herd-tb-");
        args = new ArrayList<>(List.of(root.resolve("bin/herd").toString(), "run", "--workers", Integer.toString(workers),
                "--port", "0", "--host", "127.0.0.1", "--state-dir", stateDir.resolve("state").toString(), "--api-port", "0"));
        args.addAll(modeArgs);
        EventLog events = launch(args);
        String listening = events.await(0, EventLog.event("cluster.listening"), Duration.ofSeconds(60),
                "event=cluster.listening");
        String address = EventLog.field(listening, "address");
        String port = address.substring(address.lastIndexOf(':') + 1);
        args.set(args.indexOf("--port") + 1, port);
        args.add(args.indexOf("run") + 1, "--takeover");
        url = "http://127.0.0.1:" + port + "/";
        events.awaitCount(0, EventLog.event("worker.ready"), workers, Duration.ofSeconds(120), "event=worker.ready");
        for (String line : events.linesSince(0)) {
            if (EventLog.event("worker.forked").test(line)) {
                workerPids.add(Long.parseLong(EventLog.field(line, "pid")));
            }
        }
        Http.awaitOk(url, Duration.ofSeconds(30));
    }

    private EventLog launch(List<String> command) throws java.io.IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true);
        pb.environment().put("HERD_NO_BUILD", "1");
        Process master = pb.start();
        masters.add(master);
        EventLog log = new EventLog(master.getInputStream(), work.resolve("herd-master-" + masters.size() + ".log"),
                "herd-" + masters.size());
        logs.add(log);
        return log;
    }

    @Override
    public String url() {
        return url;
    }

    @Override
    public Reload reload() throws Exception {
        Process old = masters.getLast();
        EventLog oldLog = logs.getLast();
        long start = System.nanoTime();
        EventLog events = launch(args);
        boolean done;
        if (proxy) {
            oldLog.await(0, EventLog.event("master.handed_over"), timeout, "event=master.handed_over");
            done = true;
        } else {
            done = Procs.waitFor(old, timeout);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        String takeover = events.await(0, EventLog.event("master.takeover"), Duration.ofSeconds(30),
                "event=master.takeover");
        boolean ok = done && (proxy || old.exitValue() == 0)
                && Integer.toString(workers).equals(EventLog.field(takeover, "workers"));
        String oldState = proxy ? "handed over" : done ? "exited " + old.exitValue() : "STILL RUNNING";
        return new Reload(ok, millis, "old master " + oldState + "; the new one's master.takeover: workers="
                + EventLog.field(takeover, "workers") + " took_ms=" + EventLog.field(takeover, "took_ms"));
    }

    @Override
    public String completionSignal() {
        return "`bin/herd run --takeover` with the same arguments started; done when the old master has "
                + (proxy ? "handed over (`master.handed_over`; it forwards what it carries until that ends)"
                : "exited") + " (the new one's `master.takeover` line, adopting every worker, checked)";
    }

    @Override
    public void close() {
        if (masters.isEmpty()) {
            return;
        }
        // the workers are the first master's children, then init's: the last master drains them on SIGTERM
        Procs.stopTree(masters.getLast().pid(), "TERM", Duration.ofSeconds(45));
        List<ProcessHandle> left = new ArrayList<>();
        for (Process m : masters) {
            if (m.isAlive()) {
                left.add(m.toHandle());
            }
        }
        workerPids.forEach(pid -> ProcessHandle.of(pid).ifPresent(left::add));
        if (!Procs.awaitExit(left, Duration.ofSeconds(10))) {
            Procs.killAll(left);
        }
        masters.clear();
        deleteStateDir();
    }

    private void deleteStateDir() {
        if (stateDir == null) {
            return;
        }
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(stateDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (java.io.IOException e) {
            System.err.println("takeover-bench: left " + stateDir + ": " + e.getMessage());
        }
    }
}
