package dev.herd.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Gunicorn (the Debian package's {@code gunicorn}) serving {@code herd-bench/python/hello_wsgi.py} on a loopback
 * port, its log (stderr, INFO) read line by line into an {@link EventLog}.
 */
final class GunicornCluster implements AutoCloseable {
    /** What a worker logs when it reaches its {@code --max-requests} (gunicorn/workers/base.py, sync and gthread). */
    static final String AUTORESTART = "Autorestarting worker after current request.";

    private final Process arbiter;
    private final EventLog log;
    private final String url;

    private GunicornCluster(Process arbiter, EventLog log, String url) {
        this.arbiter = arbiter;
        this.log = log;
        this.url = url;
    }

    /**
     * @param workerClass {@code sync} (Gunicorn's default: one request per connection) or {@code gthread} (keep-alive)
     * @param extraArgs   more Gunicorn options, e.g. {@code --max-requests 20000}
     */
    static GunicornCluster start(Path root, Path dir, int workers, String workerClass, List<String> extraArgs)
            throws Exception {
        int port = Http.freePort();
        List<String> command = new ArrayList<>(List.of("gunicorn", "--workers", Integer.toString(workers),
                "--worker-class", workerClass, "--bind", "127.0.0.1:" + port, "--log-level", "info",
                "--chdir", root.resolve("herd-bench/python").toString()));
        command.addAll(extraArgs);
        command.add("hello_wsgi:app");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        GunicornCluster cluster = new GunicornCluster(p,
                new EventLog(p.getInputStream(), dir.resolve("gunicorn.log"), "gunicorn"), "http://127.0.0.1:" + port + "/");
        BenchCleanup.register(cluster);
        cluster.log.awaitCount(0, line -> line.contains("Booting worker with pid"), workers, Duration.ofSeconds(60),
                "Gunicorn's 'Booting worker' lines");
        Http.awaitOk(cluster.url, Duration.ofSeconds(30));
        return cluster;
    }

    static String version() {
        return Procs.capture(List.of("gunicorn", "--version")).map(String::strip).orElse("gunicorn (version unknown)");
    }

    EventLog log() {
        return log;
    }

    String url() {
        return url;
    }

    @Override
    public void close() {
        BenchCleanup.unregister(this);
        // SIGTERM: Gunicorn's graceful stop (--graceful-timeout 30 s); past 40 s the tree is SIGKILLed
        Procs.stopTree(arbiter.pid(), "TERM", Duration.ofSeconds(40));
    }

    @Override
    public String toString() {
        return "gunicorn " + arbiter.pid();
    }
}
