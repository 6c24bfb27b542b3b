package dev.herd.cli;

import dev.herd.ApiSpec;
import dev.herd.ClusterSpec;
import dev.herd.Recycling;
import dev.herd.Event;
import dev.herd.EventListener;
import dev.herd.runtime.ClusterRunner;
import picocli.CommandLine;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code herd run}: supervise a pool of workers in the foreground until SIGTERM or Ctrl-C. Its options are in
 * {@link RunOptions}.
 */
final class RunCommand implements Callable<Integer> {
    static final String NAME = "run";

    /** Runs a master for the spec until it stops and returns its exit code. */
    interface Launcher {
        int run(ClusterSpec spec, List<EventListener> listeners);
    }

    /** {@link #runMaster}; tests give one that records the spec, to check parsing without a master. */
    private final Launcher launcher;
    private final Map<String, String> env;
    /** The settings file applied to this command's arguments; null before (or without) one. */
    private final RunConfig config;
    private final RunOptions options = new RunOptions(this);

    RunCommand() {
        this(RunCommand::runMaster);
    }

    /** {@link ClusterRunner#run}, with the master's virtual-thread carriers sized for its mode first ({@link Carriers}). */
    private static int runMaster(ClusterSpec spec, List<EventListener> listeners) {
        Carriers.size(spec.mode());
        return ClusterRunner.run(spec, listeners);
    }

    RunCommand(Launcher launcher) {
        this(launcher, System.getenv(), null);
    }

    /** @param env where {@code $HERD_CONFIG} is looked up */
    RunCommand(Launcher launcher, Map<String, String> env) {
        this(launcher, env, null);
    }

    private RunCommand(Launcher launcher, Map<String, String> env, RunConfig config) {
        this.launcher = launcher;
        this.env = env;
        this.config = config;
    }

    /** The command's model, bound to this object. */
    CommandLine.Model.CommandSpec spec() {
        return options.spec;
    }

    @Override
    public Integer call() {
        Path file = config == null ? RunConfig.path(options.config.getValue(), env) : null;
        if (file != null) {
            return withFile(file);
        }
        try {
            return run();
        } catch (dev.herd.ConfigException e) {
            throw config == null ? e : new dev.herd.ConfigException(config.locate(e.getMessage()));
        } catch (dev.herd.StartupException e) {
            throw config == null || e.exitCode() != dev.herd.StartupException.USAGE ? e
                    : new dev.herd.StartupException(e.exitCode(), config.locate(e.getMessage()));
        }
    }

    /** A command with a settings file already applied to its arguments ({@code herd config check}). */
    static RunCommand withConfig(Launcher launcher, RunConfig config) {
        return new RunCommand(launcher, Map.of(), config);
    }

    /** The worker command given; empty for the bundled demo. */
    List<String> command() {
        List<String> command = options.command.getValue();
        return command == null ? List.of() : command;
    }

    /** This command line with the file's settings under it: parsed again, as one, by a new command. */
    private int withFile(Path file) {
        CommandLine commandLine = options.spec.commandLine();
        List<String> args = new java.util.ArrayList<>(commandLine.getParseResult().originalArgs());
        if (!args.isEmpty() && args.getFirst().equals(NAME) && commandLine.getParent() != null) {
            args.removeFirst(); // the parse result of a subcommand holds the whole command line
        }
        RunConfig applied;
        try {
            applied = RunConfig.apply(file, commandLine.getParseResult(), args);
        } catch (ConfigFile.Invalid e) {
            throw new dev.herd.StartupException(dev.herd.StartupException.USAGE, e.getMessage());
        }
        RunCommand withFile = new RunCommand(launcher, env, applied);
        CommandLine parsed = new CommandLine(withFile.spec());
        parsed.parseArgs(applied.args().toArray(String[]::new));
        return withFile.call();
    }

    private int run() {
        RunOptions o = options;
        List<String> command = o.command.getValue();
        boolean demo = command == null || command.isEmpty();
        CommandLine commandLine = o.spec.commandLine();
        if (demo && commandLine.getParseResult().originalArgs().contains("--")) {
            throw new CommandLine.ParameterException(commandLine,
                    "command: nothing follows '--'; put the worker program and its arguments after it, or leave '--' out to run the bundled demo");
        }
        int socketFd = o.socketFd.getValue();
        if (demo && socketFd == 3) {
            // the demo takes the socket from fd 0 (System.inheritedChannel()): on fd 3 it would crash-loop
            throw new dev.herd.StartupException(dev.herd.StartupException.USAGE, "socket-fd: '3' needs a worker command"
                    + " after '--'; the bundled demo worker reads the socket on fd 0, so drop --socket-fd 3 or give a command");
        }
        int canarySeconds = o.canarySeconds.getValue();
        boolean noApi = o.noApi.getValue();
        ClusterSpec.Builder builder = ClusterSpec.builder()
                .port(o.port.getValue()).host(o.host.getValue()).backlog(o.backlog.getValue())
                .mode(o.mode.getValue()).sticky(o.sticky.getValue()).balance(o.balance.getValue())
                .proxyHeader(o.proxyHeader.getValue()).socketFd(socketFd)
                .command(demo ? DemoWorkerCommand.argv() : command)
                .readyWhen(o.readyWhen.getValue()).startTimeout(o.startTimeout.getValue())
                .restartDelay(o.restartDelay.getValue()).maxRestartDelay(o.maxRestartDelay.getValue())
                .maxRestartsPerMinute(o.maxRestartsPerMinute.getValue()).maxFailedStarts(o.maxFailedStarts.getValue())
                .drainTimeout(o.drainTimeout.getValue()).reloadBatch(o.reloadBatch.getValue())
                .canaryPeriod(Duration.ofSeconds(canarySeconds)).retiredNice(o.retiredNice.getValue())
                .stateDir(o.stateDir.getValue()).logDir(o.logDir.getValue())
                .logMaxBytes(o.logMaxBytes.getValue()).logKeep(o.logKeep.getValue())
                .watchdogTimeout(o.watchdogTimeout.getValue()).takeover(o.takeover.getValue())
                .recycling(recycling(o))
                .idleTimeout(o.idleTimeout.getValue() == null ? Duration.ZERO : o.idleTimeout.getValue())
                .api(new ApiSpec(!noApi, o.apiHost.getValue(), o.apiPort.getValue(), accessKey(o.accessKeyFile.getValue()),
                        o.apiAllowGet.getValue(), o.ecvMonitor.getValue()));
        processSettings(o, builder);
        builder.logToStdout(o.logTo.getValue().equals("stdout"));
        Integer workers = o.workers.getValue();
        if (workers != null) {
            builder.workers(workers);
        }
        ClusterSpec spec = builder.build();
        MasterLog.useFormat(o.logFormat.getValue());
        // the hint is text for a person at a terminal: not among the JSON lines of --log-format json
        boolean hint = demo && !MasterLogger.json;
        List<EventListener> listeners = new java.util.ArrayList<>(hint
                ? List.of(new DemoHint(System.out), new StartedUp(spec.workers())) : List.of(new StartedUp(spec.workers())));
        boolean console = o.console.getValue();
        if (!console) {
            return launcher.run(spec, listeners);
        }
        RunConsole.checkTerminal();
        try (RunConsole prompt = new RunConsole(spec.stateDir())) {
            listeners.add(prompt);
            return launcher.run(spec, listeners);
        }
    }

    /** --user, --group, --chdir, --env-file, --env, --umask, --nofile: each one unset is the master's. */
    private static void processSettings(RunOptions o, ClusterSpec.Builder builder) {
        builder.user(o.user.getValue()).group(o.group.getValue()).workingDirectory(o.chdir.getValue());
        Path envFile = o.envFile.getValue();
        if (envFile != null) {
            builder.envFile(envFile);
        }
        Map<String, String> env = o.env.getValue();
        if (env != null) {
            builder.env(env);
        }
        Integer umask = o.umask.getValue();
        builder.umask(umask == null ? -1 : umask);
        Long nofile = o.nofile.getValue();
        builder.openFiles(nofile == null ? 0 : nofile);
    }

    /** The --max-* limits; each one unset is off. */
    private static Recycling recycling(RunOptions o) {
        return Recycling.builder()
                .maxMemory(orZero(o.maxMemory.getValue())).maxMemoryHard(orZero(o.maxMemoryHard.getValue()))
                .maxRequests(orZero(o.maxRequests.getValue())).maxConnections(orZero(o.maxConnections.getValue()))
                .maxJitter(orZero(o.maxJitter.getValue()))
                .maxUptime(o.maxUptime.getValue() == null ? Duration.ZERO : o.maxUptime.getValue())
                .uptimeJitter(o.maxUptimeJitter.getValue() == null ? Duration.ZERO : o.maxUptimeJitter.getValue())
                .clusterMemoryHigh(orZero(o.clusterMemoryHigh.getValue()))
                .clusterMemoryLow(orZero(o.clusterMemoryLow.getValue()))
                .overloadRecycle(o.overloadRecycle.getValue() == null ? Duration.ZERO : o.overloadRecycle.getValue())
                .reloadAt(o.reloadAt.getValue())
                .build();
    }

    private static long orZero(Long value) {
        return value == null ? 0 : value;
    }

    /** The key from --access-key-file, else $HERD_ACCESS_KEY, else null (the master reads or makes STATE-DIR/access.key). */
    private static String accessKey(Path accessKeyFile) {
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
