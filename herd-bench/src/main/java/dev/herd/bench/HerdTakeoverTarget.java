package dev.herd.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Herd's takeover: the demo cluster in shared mode; one "reload" = {@code bin/herd run --takeover} with the same
 * arguments, done when the old master has exited (the new one then holds the sockets and the workers).
 */
final class HerdTakeoverTarget implements Target {
    private final Path root;
    private final Path work;
    private final int workers;
    private final Duration timeout;
    private final List<Process> masters = new ArrayList<>();
    private final List<Long> workerPids = new ArrayList<>();
    private List<String> args;
    private String url;

    HerdTakeoverTarget(Path root, Path work, int workers, Duration timeout) {
        this.root = root;
        this.work = work;
        this.workers = workers;
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "herd-takeover";
    }

    @Override
    public void start() throws Exception {
        args = new ArrayList<>(List.of(root.resolve("bin/herd").toString(), "run", "--workers", Integer.toString(workers),
                "--port", "0", "--host", "127.0.0.1", "--state-dir", work.resolve("state").toString(), "--api-port", "0"));
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
        return new EventLog(master.getInputStream(), work.resolve("herd-master-" + masters.size() + ".log"),
                "herd-" + masters.size());
    }

    @Override
    public String url() {
        return url;
    }

    @Override
    public Reload reload() throws Exception {
        Process old = masters.getLast();
        long start = System.nanoTime();
        EventLog events = launch(args);
        boolean exited = Procs.waitFor(old, timeout);
        long millis = (System.nanoTime() - start) / 1_000_000;
        String takeover = events.await(0, EventLog.event("master.takeover"), Duration.ofSeconds(30),
                "event=master.takeover");
        boolean ok = exited && old.exitValue() == 0
                && Integer.toString(workers).equals(EventLog.field(takeover, "workers"));
        return new Reload(ok, millis, "old master " + (exited ? "exited " + old.exitValue() : "STILL RUNNING")
                + "; the new one's master.takeover: workers=" + EventLog.field(takeover, "workers") + " took_ms="
                + EventLog.field(takeover, "took_ms"));
    }

    @Override
    public String completionSignal() {
        return "`bin/herd run --takeover` with the same arguments started; done when the old master has exited (the"
                + " new one's `master.takeover` line, adopting every worker, checked)";
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
    }
}
