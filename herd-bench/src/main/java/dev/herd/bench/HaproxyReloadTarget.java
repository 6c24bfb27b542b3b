package dev.herd.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * HAProxy's hitless reload in front of the Herd demo cluster: {@code haproxy -db -f CFG}, one "reload" = a new
 * {@code haproxy -db -f CFG -x STATS-SOCKET -sf OLD-PID} (it takes the listening socket over the stats socket, the
 * old process finishes its connections and exits), done when the old process has exited. HTTP mode, keep-alive.
 */
final class HaproxyReloadTarget implements Target {
    private final Path work;
    private final String haproxy;
    private final HerdTarget backend;
    private final Duration timeout;
    private final List<Process> processes = new ArrayList<>();
    private Path config;
    private Path socket;
    private String url;

    HaproxyReloadTarget(Path root, Path work, int workers, String haproxy, Duration timeout) throws java.io.IOException {
        this.work = work;
        this.haproxy = haproxy;
        this.timeout = timeout;
        // a short directory of its own: the state dir's sockets must fit in 107 bytes
        this.backend = new HerdTarget("haproxy-backend", root, Files.createTempDirectory("herd-hb-"), workers,
                timeout, List.of(), List.of());
    }

    @Override
    public String name() {
        return "haproxy-reload";
    }

    @Override
    public void start() throws Exception {
        backend.start();
        String backendAddress = backend.url().replaceFirst("^http://", "").replaceFirst("/$", "");
        int port = Http.freePort();
        socket = work.resolve("haproxy-stats.sock");
        config = work.resolve("haproxy.cfg");
        Files.writeString(config, String.join("\n",
                "global",
                "  stats socket " + socket + " mode 600 level admin expose-fd listeners",
                "  maxconn 4096",
                "defaults",
                "  mode http",
                "  option http-keep-alive",
                "  timeout connect 5s",
                "  timeout client 30s",
                "  timeout server 30s",
                "frontend fe",
                "  bind 127.0.0.1:" + port,
                "  default_backend be",
                "backend be",
                "  server herd " + backendAddress,
                ""));
        launch(List.of(haproxy, "-db", "-f", config.toString()));
        url = "http://127.0.0.1:" + port + "/";
        Http.awaitOk(url, Duration.ofSeconds(30));
    }

    private void launch(List<String> command) throws java.io.IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("haproxy.log").toFile())).start();
        processes.add(process);
    }

    @Override
    public String url() {
        return url;
    }

    @Override
    public Reload reload() throws Exception {
        Process old = processes.getLast();
        long start = System.nanoTime();
        launch(List.of(haproxy, "-db", "-f", config.toString(), "-x", socket.toString(), "-sf",
                Long.toString(old.pid())));
        boolean exited = Procs.waitFor(old, timeout);
        long millis = (System.nanoTime() - start) / 1_000_000;
        boolean newRuns = processes.getLast().isAlive();
        return new Reload(exited && newRuns, millis, "old haproxy " + (exited ? "exited " + old.exitValue()
                : "STILL RUNNING") + ", new one " + (newRuns ? "running" : "GONE (see haproxy.log)"));
    }

    @Override
    public String completionSignal() {
        return "a new `haproxy -db -f CFG -x STATS-SOCKET -sf OLD-PID` started (socket transfer, soft stop of the old);"
                + " done when the old process has exited";
    }

    @Override
    public void close() {
        List<ProcessHandle> left = new ArrayList<>();
        for (Process p : processes) {
            if (p.isAlive()) {
                Procs.signal(p.pid(), "TERM");
                left.add(p.toHandle());
            }
        }
        if (!Procs.awaitExit(left, Duration.ofSeconds(10))) {
            Procs.killAll(left);
        }
        processes.clear();
        backend.close();
    }
}
