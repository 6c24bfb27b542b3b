package dev.herd.cli;

import dev.herd.ApiSpec;
import dev.herd.ClusterSpec;
import dev.herd.Event;
import dev.herd.Balance;
import dev.herd.EventListener;
import dev.herd.ProxyHeader;
import dev.herd.ListenMode;
import dev.herd.ReadyWhen;
import dev.herd.runtime.ClusterRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code herd run}: supervise a pool of workers in the foreground until SIGTERM or Ctrl-C. */
@Command(name = RunCommand.NAME, defaultValueProvider = RunDefaults.class,
        mixinStandardHelpOptions = true,
        addMethodSubcommands = false, // none: picocli need not read every method's annotations (see HerdCommand)
        sortOptions = false,
        description = {"Runs COMMAND as a pool of worker processes sharing one listening socket, in the foreground.",
                "Without a command, runs the bundled demo worker (an HTTP server answering with its slot and pid).",
                "SIGTERM or Ctrl-C drains the workers and stops; a second Ctrl-C stops at once.",
                "SIGHUP or SIGUSR2 reloads (new generation, slot by slot, no dropped connection); SIGUSR1 kills retired workers."},
        footer = {"", "Examples:",
                "  herd run --workers 4 --port 8080",
                "  herd run --workers auto --port 8080 -- java -jar app.jar",
                "  herd run --socket-fd 3 --ready-when notify -- ./my-server",
                "  herd run --mode reuseport --sticky -- java -jar app.jar",
                "  herd run --mode proxy --balance least-conn -- node server.js   (binds $PORT)",
                "  sudo herd run --mode nat -- node server.js   (binds $PORT on $HERD_HOST)",
                "", "Durations take a unit: 500ms, 30s, 2m, 1h (a bare number is seconds).",
                "", "Exit codes: 0 stopped cleanly, 1 internal error, 2 bad usage,",
                "3 could not listen or set up, 4 every slot failed, 130 hard stop (second Ctrl-C)."})
final class RunCommand implements Callable<Integer> {
    static final String NAME = "run";

    /** Runs a master for the spec until it stops and returns its exit code. */
    interface Launcher {
        int run(ClusterSpec spec, List<EventListener> listeners);
    }

    /** {@link #runMaster}; tests give one that records the spec, to check parsing without a master. */
    private final Launcher launcher;

    RunCommand() {
        this(RunCommand::runMaster);
    }

    /** {@link ClusterRunner#run}, with the master's virtual-thread carriers sized for its mode first ({@link Carriers}). */
    private static int runMaster(ClusterSpec spec, List<EventListener> listeners) {
        Carriers.size(spec.mode());
        return ClusterRunner.run(spec, listeners);
    }

    RunCommand(Launcher launcher) {
        this.launcher = launcher;
    }

    @Option(names = {"-w", "--workers"}, paramLabel = "N|auto", converter = WorkerCount.class,
            description = "Number of workers (slots). 'auto' = available processors. Default: auto.")
    Integer workers;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT",
            description = "TCP port to listen on; 0 picks a free one. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--host", paramLabel = "ADDRESS",
            description = "Address to listen on (IPv4 or IPv6; '::' is dual-stack). Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--mode", paramLabel = "MODE", converter = ListenModeConverter.class,
            description = "How the port reaches the workers: shared (one socket, every worker accepts), reuseport (one SO_REUSEPORT socket per slot, kept open by the master), proxy (each worker binds its own $PORT; the master forwards connections) or nat (each worker binds its own $PORT on every address; nftables redirects each client's connections to one worker by address band, sticky; needs root and nft). Default: ${DEFAULT-VALUE}.")
    ListenMode mode;

    @Option(names = "--sticky",
            description = "With --mode reuseport: the same client address always reaches the same slot (an in-kernel BPF program picks it; a slot without a ready worker lends its clients to the next one meanwhile).")
    boolean sticky;

    @Option(names = "--balance", paramLabel = "POLICY", converter = BalanceConverter.class,
            description = "With --mode proxy: round-robin, least-conn or ip-hash. Default: ${DEFAULT-VALUE}.")
    Balance balance;

    @Option(names = "--proxy-protocol", paramLabel = "v1|v2", converter = ProxyHeaderConverter.class,
            description = "With --mode proxy: send a PROXY protocol header (HAProxy's v1 text or v2 binary) first on every connection to a worker, so it sees the client address. Default: ${DEFAULT-VALUE}.")
    ProxyHeader proxyHeader;

    @Option(names = "--backlog", paramLabel = "N",
            description = "Listen backlog: connections that wait while no worker accepts. Default: ${DEFAULT-VALUE}.")
    int backlog;

    @Option(names = "--socket-fd", paramLabel = "0|3",
            description = "Where workers find the socket: 0 (System.inheritedChannel(), inetd style) or 3 (systemd LISTEN_FDS=1, LISTEN_PID). Default: ${DEFAULT-VALUE}.")
    int socketFd;

    @Option(names = "--ready-when", paramLabel = "MODE",
            converter = ReadyWhenConverter.class,
            description = "When a new worker counts as ready: started, listening (seen accepting on the socket), notify (sends READY=1 to NOTIFY_SOCKET). Default: ${DEFAULT-VALUE}.")
    ReadyWhen readyWhen;

    @Option(names = "--start-timeout", paramLabel = "DURATION", converter = Durations.class,
            description = "A worker not ready by then is killed and counts as a failed start. Default: ${DEFAULT-VALUE}.")
    Duration startTimeout;

    @Option(names = "--restart-delay", paramLabel = "DURATION", converter = Durations.class,
            description = "Delay before respawning a crashed worker; doubles while crashes repeat, halves again per 30s of calm. Default: ${DEFAULT-VALUE}.")
    Duration restartDelay;

    @Option(names = "--max-restart-delay", paramLabel = "DURATION", converter = Durations.class,
            description = "Ceiling of the restart delay. Default: ${DEFAULT-VALUE}.")
    Duration maxRestartDelay;

    @Option(names = "--max-restarts-per-minute", paramLabel = "N",
            description = "A slot with more unexpected exits than this within 60s is marked FAILED and left stopped. Default: ${DEFAULT-VALUE}.")
    int maxRestartsPerMinute;

    @Option(names = "--max-failed-starts", paramLabel = "N",
            description = "A slot whose workers failed to start this many times in a row (exited, or killed at --start-timeout, before they were ready) is marked FAILED and left stopped; a ready worker resets the count. With the default restart delays 5 failed starts take about 3s plus the workers' start-up time. Default: ${DEFAULT-VALUE}.")
    int maxFailedStarts;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", converter = Durations.class,
            description = "How long a worker may drain after SIGTERM before SIGKILL. Default: ${DEFAULT-VALUE}.")
    Duration drainTimeout;

    @Option(names = "--reload-batch", paramLabel = "K",
            description = "Slots a reload or upgrade replaces at a time. Default: ${DEFAULT-VALUE}.")
    int reloadBatch;

    @Option(names = "--canary-seconds", paramLabel = "N",
            description = "How long an upgrade's first new worker must stay up and ready before the rest roll. Default: ${DEFAULT-VALUE}.")
    int canarySeconds;

    @Option(names = "--retired-nice", paramLabel = "0-19",
            description = "CPU priority given to retired (draining) workers once they stopped accepting: their session's autogroup nice value; 19 is lowest, 0 leaves them alone. Default: ${DEFAULT-VALUE}.")
    int retiredNice;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Runtime files of this master. Default: $XDG_RUNTIME_DIR/herd/PORT, else /tmp/herd-USER/PORT.")
    Path stateDir;

    @Option(names = "--log-dir", paramLabel = "DIR",
            description = "Per-slot worker log files (worker-SLOT.log: stdout and stderr, rotated by size). Default: STATE-DIR/logs.")
    Path logDir;

    @Option(names = "--watchdog-timeout", paramLabel = "DURATION", converter = Durations.class,
            description = "A ready worker that has sent heartbeats (herd-worker's heartbeat(), or WATCHDOG=1 on NOTIFY_SOCKET) and then sends none for this long is hung: its slot gets a new worker without downtime and the hung one is killed. 0 (default) turns the watchdog off. Workers see it as HERD_WATCHDOG_MS.")
    Duration watchdogTimeout;

    @Option(names = "--log-max-size", paramLabel = "SIZE", converter = ByteSizes.class,
            description = "A worker log file (worker-SLOT.log) is rotated to worker-SLOT.log.1 before it grows beyond this: bytes, or with k, m, g. Default: ${DEFAULT-VALUE}.")
    long logMaxBytes;

    @Option(names = "--log-keep", paramLabel = "N",
            description = "Rotated log files kept per slot (.1 newest); older ones are deleted. Default: ${DEFAULT-VALUE}.")
    int logKeep;

    @Option(names = "--api-host", paramLabel = "ADDRESS",
            description = "Address of the HTTP control API; keep it on loopback or a management network. Default: ${DEFAULT-VALUE}.")
    String apiHost;

    @Option(names = "--api-port", paramLabel = "PORT",
            description = "Port of the HTTP control API; 0 picks a free one (written to STATE-DIR/api.url). Default: ${DEFAULT-VALUE}.")
    int apiPort;

    @Option(names = "--no-api", description = "No HTTP control API: only the local control socket (STATE-DIR/control.sock).")
    boolean noApi;

    @Option(names = "--access-key-file", paramLabel = "FILE",
            description = "File holding the key HTTP callers must send (Authorization: Bearer KEY), at least 16 characters. Default: $HERD_ACCESS_KEY, else STATE-DIR/access.key, generated (mode 0600) when missing.")
    Path accessKeyFile;

    @Option(names = "--api-allow-get",
            description = "Let GET /cli?cmd=... run commands (cluster-service's allowHttpGet, for trying things out); off by default: commands that change the cluster need POST.")
    boolean apiAllowGet;

    @Option(names = "--ecv-monitor", paramLabel = "PATH",
            description = "A path on the service (e.g. /health) that GET /ecv checks answers 2xx before reporting AVAILABLE. Default: only check that a worker is ready.")
    String ecvMonitor;

    @Parameters(paramLabel = "COMMAND", arity = "0..*",
            description = "The worker program and its arguments, after '--'. Default: the bundled demo worker.")
    List<String> command;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec commandSpec;

    @Override
    public Integer call() {
        boolean demo = command == null || command.isEmpty();
        if (demo && commandSpec.commandLine().getParseResult().originalArgs().contains("--")) {
            throw new CommandLine.ParameterException(commandSpec.commandLine(),
                    "command: nothing follows '--'; put the worker program and its arguments after it, or leave '--' out to run the bundled demo");
        }
        if (demo && socketFd == 3) {
            // the demo takes the socket from fd 0 (System.inheritedChannel()): on fd 3 it would crash-loop
            throw new dev.herd.StartupException(dev.herd.StartupException.USAGE, "socket-fd: '3' needs a worker command"
                    + " after '--'; the bundled demo worker reads the socket on fd 0, so drop --socket-fd 3 or give a command");
        }
        ClusterSpec.Builder builder = ClusterSpec.builder()
                .port(port).host(host).backlog(backlog).mode(mode).sticky(sticky).balance(balance)
                .proxyHeader(proxyHeader).socketFd(socketFd)
                .command(demo ? DemoWorkerCommand.argv() : command)
                .readyWhen(readyWhen).startTimeout(startTimeout)
                .restartDelay(restartDelay).maxRestartDelay(maxRestartDelay)
                .maxRestartsPerMinute(maxRestartsPerMinute).maxFailedStarts(maxFailedStarts).drainTimeout(drainTimeout)
                .reloadBatch(reloadBatch).canaryPeriod(Duration.ofSeconds(canarySeconds)).retiredNice(retiredNice)
                .stateDir(stateDir).logDir(logDir).logMaxBytes(logMaxBytes).logKeep(logKeep)
                .watchdogTimeout(watchdogTimeout)
                .api(new ApiSpec(!noApi, apiHost, apiPort, accessKey(), apiAllowGet, ecvMonitor));
        if (workers != null) {
            builder.workers(workers);
        }
        ClusterSpec spec = builder.build();
        List<EventListener> listeners = demo ? List.of(new DemoHint(System.out), new StartedUp(spec.workers()))
                : List.of(new StartedUp(spec.workers()));
        return launcher.run(spec, listeners);
    }

    /** The key from --access-key-file, else $HERD_ACCESS_KEY, else null (the master reads or makes STATE-DIR/access.key). */
    private String accessKey() {
        if (accessKeyFile != null) {
            try {
                return dev.herd.os.PrivatePaths.readSecret(accessKeyFile.toAbsolutePath(), "access-key-file").trim();
            } catch (dev.herd.os.UnsafePathException e) {
                throw new dev.herd.StartupException(dev.herd.StartupException.USAGE, e.getMessage());
            } catch (java.io.IOException e) {
                throw new dev.herd.StartupException(dev.herd.StartupException.USAGE, "access-key-file: cannot read '"
                        + accessKeyFile + "' (" + e.getClass().getSimpleName() + " " + e.getMessage() + ")");
            }
        }
        String fromEnv = System.getenv(MasterConnection.KEY_ENV);
        return fromEnv == null || fromEnv.isBlank() ? null : fromEnv.trim();
    }

    /**
     * Once every slot had a ready worker for the first time, the master's start-up is over, and what the C library's
     * malloc kept of the memory the JVM freed since (the JIT compiler's arena chunks, which HotSpot's chunk pool
     * frees every 5 s, class parsing) goes back to the kernel: about 6 MB of the master's RSS (docs/benchmarks.md,
     * "Master footprint"). It is done 6 s later, when the last start-up compilations' chunks are freed, by a
     * virtual thread: its sleep costs no platform thread (the JDK's delay scheduler, which the master's other timed
     * waits on virtual threads already started, wakes it) and the trim runs on a carrier that exists already, so the
     * master gains no thread for it, not even for those 6 s. malloc_trim takes 20-40 ms here and pins that carrier
     * meanwhile, once: in the socket modes it is the only one ({@link Carriers}), so control requests and worker
     * channel lines may wait that long, once; the supervisor loop, the watch thread and the proxy's forwarding
     * threads go on. Runs once; never fails.
     */
    static final class StartedUp implements EventListener {
        static final java.time.Duration TRIM_AFTER = java.time.Duration.ofSeconds(6);
        private final int workers;
        private final java.util.Set<Integer> ready = new java.util.HashSet<>();
        private boolean done;

        StartedUp(int workers) {
            this.workers = workers;
        }

        @Override
        public void onEvent(Event event) {
            if (!done && event instanceof Event.WorkerReady r && ready.add(r.slot()) && ready.size() >= workers) {
                done = true;
                try {
                    Thread.ofVirtual().name("herd-trim").start(StartedUp::trimLater);
                } catch (RuntimeException | OutOfMemoryError e) {
                    // no memory for it: the memory stays with the master
                }
            }
        }

        private static void trimLater() {
            try {
                Thread.sleep(TRIM_AFTER);
                dev.herd.os.NativeHeap.trim();
            } catch (InterruptedException | RuntimeException | LinkageError e) {
                // only memory not given back
            }
        }
    }

    /** Tells a newcomer running the demo what to try, once the port is open. */
    record DemoHint(PrintStream out) implements EventListener {
        @Override
        public void onEvent(Event event) {
            if (event instanceof Event.ClusterListening listening) {
                String port = listening.address().substring(listening.address().lastIndexOf(':') + 1);
                out.println();
                out.println("  Herd demo: " + listening.workers() + " workers on " + listening.address() + ".");
                out.println("  Try:  curl http://127.0.0.1:" + port + "/   (each answer names its worker's slot, pid and generation)");
                out.println("  Stop: Ctrl-C (drains gracefully; a second Ctrl-C stops at once)");
                out.println();
                out.flush();
            }
        }
    }
}
