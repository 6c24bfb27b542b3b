package dev.herd.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * PM2 cluster mode: {@code pm2 start APP.js -i N}, reload = {@code pm2 reload NAME} (a rolling restart, the
 * command returns when every instance was replaced). Isolated {@code PM2_HOME} under the work directory;
 * {@code pm2 kill} at the end, then SIGKILL of the recorded daemon tree if anything is left.
 */
final class Pm2Target implements Target {

    private static final String APP = "herd-bench-app";

    private final String name;
    private final String script;
    private final Path nodeDir;
    private final Path work;
    private final int workers;
    private final int port;
    private final Duration reloadTimeout;
    private final Path log;
    private final Map<String, String> env;
    private final List<ProcessHandle> recorded = new ArrayList<>();
    /** What one "reload" runs: {@code pm2 reload APP}, or {@code pm2 update} (PM2 replacing its own daemon). */
    private List<String> reloadArgs = List.of("reload", APP);
    private boolean started;

    Pm2Target(Path nodeDir, Path work, int workers, int port, Duration reloadTimeout) {
        this("pm2", "hello.js", nodeDir, work, workers, port, reloadTimeout);
    }

    /** @param script the app under herd-bench/node: hello.js (drains as PM2 documents) or plain.js (as apps are) */
    Pm2Target(String name, String script, Path nodeDir, Path work, int workers, int port, Duration reloadTimeout) {
        this.name = name;
        this.script = script;
        this.nodeDir = nodeDir;
        this.work = work;
        this.workers = workers;
        this.port = port;
        this.reloadTimeout = reloadTimeout;
        this.log = work.resolve("pm2-commands.log");
        this.env = Map.of("PM2_HOME", work.resolve("pm2-home").toString(), "PORT", Integer.toString(port),
                "HOST", "127.0.0.1");
    }

    /** The same app, where a "reload" is {@code pm2 update}: PM2 saves its processes, kills its daemon and restores them. */
    static Pm2Target update(Path nodeDir, Path work, int workers, int port, Duration timeout) {
        Pm2Target target = new Pm2Target("pm2-update", "hello.js", nodeDir, work, workers, port, timeout);
        target.reloadArgs = List.of("update");
        return target;
    }

    private List<String> pm2(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(nodeDir.resolve("node_modules/.bin/pm2").toString());
        cmd.addAll(List.of(args));
        return cmd;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void start() throws Exception {
        started = true;
        Procs.Result r = Procs.run(pm2("start", script, "-i", Integer.toString(workers), "--name", APP),
                nodeDir, env, Duration.ofSeconds(90), log);
        recordDaemon();
        if (!r.ok()) {
            throw new IOException("pm2 start failed (exit " + r.exitCode() + "), see " + log);
        }
        Http.awaitOk(url(), Duration.ofSeconds(30));
    }

    private void recordDaemon() {
        Path pidFile = work.resolve("pm2-home/pm2.pid");
        try {
            if (Files.exists(pidFile)) {
                long pid = Long.parseLong(Files.readString(pidFile).trim());
                recorded.addAll(Procs.tree(pid));
            }
        } catch (IOException | NumberFormatException e) {
            // nothing recorded; pm2 kill is still tried
        }
    }

    @Override
    public String url() {
        return "http://127.0.0.1:" + port + "/";
    }

    @Override
    public Reload reload() throws Exception {
        Procs.Result r = Procs.run(pm2(reloadArgs.toArray(String[]::new)), nodeDir, env, reloadTimeout, log);
        recordDaemon(); // the new workers too
        return new Reload(r.ok(), r.millis(), "pm2 " + reloadArgs.getFirst() + " exit " + r.exitCode());
    }

    @Override
    public String completionSignal() {
        return reloadArgs.getFirst().equals("update")
                ? "`pm2 update` returns (it saves the process list, kills the PM2 daemon and its apps, starts a new daemon and the apps again)"
                : "`pm2 reload` returns (it waits for the rolling restart of every instance)";
    }

    @Override
    public void close() {
        if (!started) {
            return;
        }
        started = false;
        recordDaemon();
        try {
            Procs.run(pm2("kill"), nodeDir, env, Duration.ofSeconds(60), log);
        } catch (IOException e) {
            // fall through to the SIGKILL below
        }
        if (!Procs.awaitExit(recorded, Duration.ofSeconds(10))) {
            Procs.killAll(recorded);
        }
    }
}
