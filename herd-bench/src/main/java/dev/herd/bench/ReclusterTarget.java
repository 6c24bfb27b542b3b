package dev.herd.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * recluster 1.0.0 via {@code node/recluster-master.js}: reload = SIGUSR2 to the master (its README); done =
 * the script's {@code event=reload.done} line, printed when recluster's {@code reload(cb)} has called back
 * (every new worker listening) and every worker of the previous generation has exited.
 */
final class ReclusterTarget implements Target {

    private final Path nodeDir;
    private final Path work;
    private final int workers;
    private final int port;
    private final Duration reloadTimeout;
    private Process master;
    private EventLog events;

    ReclusterTarget(Path nodeDir, Path work, int workers, int port, Duration reloadTimeout) {
        this.nodeDir = nodeDir;
        this.work = work;
        this.workers = workers;
        this.port = port;
        this.reloadTimeout = reloadTimeout;
    }

    @Override
    public String name() {
        return "recluster";
    }

    @Override
    public void start() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(List.of("node", "recluster-master.js"))
                .directory(nodeDir.toFile()).redirectErrorStream(true);
        pb.environment().put("PORT", Integer.toString(port));
        pb.environment().put("HOST", "127.0.0.1");
        pb.environment().put("RECLUSTER_WORKERS", Integer.toString(workers));
        pb.environment().remove("NODE_ENV"); // recluster's default kill timeout for old workers: 1 s
        master = pb.start();
        events = new EventLog(master.getInputStream(), work.resolve("recluster-master.log"), "recluster");
        events.await(0, EventLog.event("cluster.ready"), Duration.ofSeconds(60), "event=cluster.ready");
        Http.awaitOk(url(), Duration.ofSeconds(30));
    }

    @Override
    public String url() {
        return "http://127.0.0.1:" + port + "/";
    }

    @Override
    public Reload reload() throws Exception {
        int mark = events.mark();
        long start = System.nanoTime();
        if (!Procs.signal(master.pid(), "USR2")) {
            throw new IllegalStateException("cannot send SIGUSR2 to the recluster master " + master.pid());
        }
        String line = events.await(mark,
                EventLog.event("reload.done").or(EventLog.event("reload.failed")), reloadTimeout,
                "event=reload.done after SIGUSR2");
        long wall = (System.nanoTime() - start) / 1_000_000;
        return new Reload(line.contains("event=reload.done"), wall, line.replaceFirst("^\\S+\\s+", ""));
    }

    @Override
    public String completionSignal() {
        return "SIGUSR2 to the master; done when recluster's `reload(cb)` called back and every old worker exited";
    }

    @Override
    public void close() {
        if (master != null) {
            Procs.stopTree(master.pid(), "TERM", Duration.ofSeconds(15));
            master = null;
        }
    }
}
