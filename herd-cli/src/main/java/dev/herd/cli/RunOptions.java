package dev.herd.cli;

import dev.herd.ApiSpec;
import dev.herd.Balance;
import dev.herd.ClusterSpec;
import dev.herd.EnumLabels;
import dev.herd.ListenMode;
import dev.herd.ProxyHeader;
import dev.herd.ReadyWhen;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code herd run}'s command line: every option with its default, declared through picocli's programmatic API.
 *
 * <p>Why not annotations like the other commands: picocli reads annotated fields by reflection, and the JDK makes an
 * annotation proxy class per annotation type on first use; for this command that was 80 ms of the master's start on
 * the 2-core machines measured, against 16 ms for the same model built here (docs/benchmarks.md, "Master footprint").
 * Each default is taken from {@link ClusterSpec.Builder} or {@link ApiSpec#defaults()}, so it is written once:
 * picocli shows it in the help ({@code ${DEFAULT-VALUE}}) and parses it like a typed value. Options without one here
 * (workers, state-dir, ...) get theirs from the builder when unset.
 */
final class RunOptions {
    /** The builder's defaults; the command is a placeholder, the only setting without one. */
    private static final ClusterSpec DEFAULTS = ClusterSpec.builder().command(List.of("worker")).build();
    private static final ApiSpec API = ApiSpec.defaults();

    final OptionSpec workers = OptionSpec.builder("-w", "--workers").paramLabel("N|auto").type(Integer.class)
            .converters(new WorkerCount())
            .description("Number of workers (slots). 'auto' = available processors. Default: auto.").build();
    final OptionSpec port = OptionSpec.builder("-p", "--port").paramLabel("PORT").type(int.class)
            .defaultValue(Integer.toString(DEFAULTS.port()))
            .description("TCP port to listen on; 0 picks a free one. Default: ${DEFAULT-VALUE}.").build();
    final OptionSpec host = OptionSpec.builder("--host").paramLabel("ADDRESS").type(String.class).defaultValue(DEFAULTS.host())
            .description("Address to listen on (IPv4 or IPv6; '::' is dual-stack). Default: ${DEFAULT-VALUE}.").build();
    final OptionSpec mode = OptionSpec.builder("--mode").paramLabel("MODE").type(ListenMode.class)
            .converters(new ParsingConverter<>(ListenMode::parse)).defaultValue(DEFAULTS.mode().label())
            .description("How the port reaches the workers: shared (one socket, every worker accepts), reuseport (one"
                    + " SO_REUSEPORT socket per slot, kept open by the master), proxy (each worker binds its own $PORT;"
                    + " the master forwards connections) or nat (each worker binds its own $PORT on every address;"
                    + " nftables redirects each client's connections to one worker by address band, sticky; needs root"
                    + " and nft). Default: ${DEFAULT-VALUE}.").build();
    final OptionSpec sticky = flag("--sticky", "With --mode reuseport: the same client address always reaches the same"
            + " slot (an in-kernel BPF program picks it; a slot without a ready worker lends its clients to the next one"
            + " meanwhile).");
    final OptionSpec takeover = flag("--takeover", "When a master already runs on this state dir: take its cluster over"
            + " instead of refusing to start. It hands over its listening sockets and workers and exits without"
            + " stopping one; workers running the same command are kept as they are, another command replaces them"
            + " slot by slot as an upgrade. With no master running it starts as usual (adopting the workers a killed"
            + " one left).");
    final OptionSpec balance = OptionSpec.builder("--balance").paramLabel("POLICY").type(Balance.class)
            .converters(new ParsingConverter<>(Balance::parse)).defaultValue(DEFAULTS.balance().label())
            .description("With --mode proxy: round-robin, least-conn or ip-hash. Default: ${DEFAULT-VALUE}.").build();
    final OptionSpec proxyHeader = OptionSpec.builder("--proxy-protocol").paramLabel("v1|v2").type(ProxyHeader.class)
            .converters(new ParsingConverter<>(ProxyHeader::parse)).defaultValue(EnumLabels.label(DEFAULTS.proxyHeader()))
            .description("With --mode proxy: send a PROXY protocol header (HAProxy's v1 text or v2 binary) first on"
                    + " every connection to a worker, so it sees the client address. Default: ${DEFAULT-VALUE}.").build();
    final OptionSpec idleTimeout = OptionSpec.builder("--idle-timeout").paramLabel("DURATION").type(Duration.class)
            .converters(new Durations())
            .description("With --mode proxy: close a forwarded connection through which nothing moved for this long"
                    + " (cluster2's socket timeout). Default: never.").build();
    final OptionSpec backlog = count("--backlog", "N", DEFAULTS.backlog(),
            "Listen backlog: connections that wait while no worker accepts. Default: ${DEFAULT-VALUE}.");
    final OptionSpec socketFd = count("--socket-fd", "0|3", DEFAULTS.socketFd(),
            "Where workers find the socket: 0 (System.inheritedChannel(), inetd style) or 3 (systemd LISTEN_FDS=1,"
                    + " LISTEN_PID). Default: ${DEFAULT-VALUE}.");
    final OptionSpec readyWhen = OptionSpec.builder("--ready-when").paramLabel("MODE").type(ReadyWhen.class)
            .converters(new ParsingConverter<>(ReadyWhen::parse)).defaultValue(DEFAULTS.readyWhen().label())
            .description("When a new worker counts as ready: started, listening (seen accepting on the socket), notify"
                    + " (sends READY=1 to NOTIFY_SOCKET). Default: ${DEFAULT-VALUE}.").build();
    final OptionSpec startTimeout = duration("--start-timeout", DEFAULTS.startTimeout(),
            "A worker not ready by then is killed and counts as a failed start. Default: ${DEFAULT-VALUE}.");
    final OptionSpec restartDelay = duration("--restart-delay", DEFAULTS.restartDelay(),
            "Delay before respawning a crashed worker; doubles while crashes repeat, halves again per 30s of calm."
                    + " Default: ${DEFAULT-VALUE}.");
    final OptionSpec maxRestartDelay = duration("--max-restart-delay", DEFAULTS.maxRestartDelay(),
            "Ceiling of the restart delay. Default: ${DEFAULT-VALUE}.");
    final OptionSpec maxRestartsPerMinute = count("--max-restarts-per-minute", "N", DEFAULTS.maxRestartsPerMinute(),
            "A slot with more unexpected exits than this within 60s is marked FAILED and left stopped."
                    + " Default: ${DEFAULT-VALUE}.");
    final OptionSpec maxFailedStarts = count("--max-failed-starts", "N", DEFAULTS.maxFailedStarts(),
            "A slot whose workers failed to start this many times in a row (exited, or killed at --start-timeout,"
                    + " before they were ready) is marked FAILED and left stopped; a ready worker resets the count. With"
                    + " the default restart delays 5 failed starts take about 3s plus the workers' start-up time."
                    + " Default: ${DEFAULT-VALUE}.");
    final OptionSpec drainTimeout = duration("--drain-timeout", DEFAULTS.drainTimeout(),
            "How long a worker may drain after SIGTERM before SIGKILL. Default: ${DEFAULT-VALUE}.");
    final OptionSpec reloadBatch = count("--reload-batch", "K", DEFAULTS.reloadBatch(),
            "Slots a reload or upgrade replaces at a time. Default: ${DEFAULT-VALUE}.");
    final OptionSpec canarySeconds = count("--canary-seconds", "N", (int) DEFAULTS.canaryPeriod().toSeconds(),
            "How long an upgrade's first new worker must stay up and ready before the rest roll."
                    + " Default: ${DEFAULT-VALUE}.");
    final OptionSpec retiredNice = count("--retired-nice", "0-19", DEFAULTS.retiredNice(),
            "CPU priority given to retired (draining) workers once they stopped accepting: their session's autogroup"
                    + " nice value; 19 is lowest, 0 leaves them alone. Default: ${DEFAULT-VALUE}.");
    final OptionSpec stateDir = OptionSpec.builder("--state-dir").paramLabel("DIR").type(Path.class)
            .description("Runtime files of this master. Default: $XDG_RUNTIME_DIR/herd/PORT, else /tmp/herd-USER/PORT.")
            .build();
    final OptionSpec logDir = OptionSpec.builder("--log-dir").paramLabel("DIR").type(Path.class)
            .description("Per-slot worker log files (worker-SLOT.log: stdout and stderr, rotated by size)."
                    + " Default: STATE-DIR/logs.").build();
    final OptionSpec watchdogTimeout = duration("--watchdog-timeout", DEFAULTS.watchdogTimeout(),
            "A ready worker that has sent heartbeats (herd-worker's heartbeat(), or WATCHDOG=1 on NOTIFY_SOCKET) and"
                    + " then sends none for this long is hung: its slot gets a new worker without downtime and the hung"
                    + " one is killed. 0 (default) turns the watchdog off. Workers see it as HERD_WATCHDOG_MS.");
    final OptionSpec maxMemory = size("--max-memory", "Recycle a worker whose resident memory (its own and that of the"
            + " processes it started) passes this: a new worker takes its slot first, then it drains, so nothing is"
            + " dropped. Checked 4 times a second. Bytes, or with k, m, g. Default: no limit.");
    final OptionSpec maxMemoryHard = size("--max-memory-hard", "Kill a worker at once when its resident memory passes"
            + " this, without waiting for its replacement (the slot's socket stays open, so no connection is refused;"
            + " its in-flight requests are lost). Above --max-memory. Default: no limit.");
    final OptionSpec maxRequests = OptionSpec.builder("--max-requests").paramLabel("N").type(Long.class)
            .description("Recycle a worker after it served this many requests (as it counts them: herd-worker's"
                    + " counters(), or a 'counters' line on its channel). Default: no limit.").build();
    final OptionSpec maxConnections = OptionSpec.builder("--max-connections").paramLabel("N").type(Long.class)
            .description("Recycle a worker after it accepted this many connections (as it counts them)."
                    + " Default: no limit.").build();
    final OptionSpec maxJitter = OptionSpec.builder("--max-jitter").paramLabel("N").type(Long.class)
            .description("Each worker's --max-requests and --max-connections are raised by its own random 0..N, so"
                    + " that workers started together are not recycled together. Default: 0.").build();
    final OptionSpec maxUptime = OptionSpec.builder("--max-uptime").paramLabel("DURATION").type(Duration.class)
            .converters(new Durations())
            .description("Recycle a worker that has run this long. Default: no limit.").build();
    final OptionSpec maxUptimeJitter = OptionSpec.builder("--max-uptime-jitter").paramLabel("DURATION")
            .type(Duration.class).converters(new Durations())
            .description("Each worker's --max-uptime is raised by its own random part of this. Default: 0.").build();
    final OptionSpec clusterMemoryHigh = size("--cluster-memory-high", "When all workers together (retired ones"
            + " included) hold more resident memory than this, take it back until under --cluster-memory-low: kill"
            + " retired (draining) workers first, largest first, then recycle the largest serving worker, one at a time."
            + " Default: no limit.");
    final OptionSpec clusterMemoryLow = size("--cluster-memory-low", "Where --cluster-memory-high stops taking memory"
            + " back. Default: 90%% of --cluster-memory-high.");
    final OptionSpec overloadRecycle = OptionSpec.builder("--overload-recycle").paramLabel("DURATION")
            .type(Duration.class).converters(new Durations())
            .description("Recycle a worker that reports itself overloaded without a break for this long (herd-worker"
                    + " measures its event-loop lag and reports by itself; workers get it as HERD_OVERLOAD_RECYCLE_MS)."
                    + " Default: off.").build();
    final OptionSpec reloadAt = OptionSpec.builder("--reload-at").paramLabel("CRON").type(String.class)
            .description("Reload the whole cluster (a rolling reload, as herd reload) at each time of this crontab"
                    + " schedule: 'minute hour day-of-month month day-of-week' in the master's time zone, e.g."
                    + " '0 4 * * *' for 04:00 daily. Default: none.").build();
    final OptionSpec logMaxBytes = OptionSpec.builder("--log-max-size").paramLabel("SIZE").type(long.class)
            .converters(new ByteSizes()).defaultValue(dev.herd.Sizes.format(DEFAULTS.logMaxBytes()))
            .description("A worker log file (worker-SLOT.log) is rotated to worker-SLOT.log.1 before it grows beyond"
                    + " this: bytes, or with k, m, g. Default: ${DEFAULT-VALUE}.").build();
    final OptionSpec logKeep = count("--log-keep", "N", DEFAULTS.logKeep(),
            "Rotated log files kept per slot (.1 newest); older ones are deleted. Default: ${DEFAULT-VALUE}.");
    final OptionSpec apiHost = OptionSpec.builder("--api-host").paramLabel("ADDRESS").type(String.class).defaultValue(API.host())
            .description("Address of the HTTP control API; keep it on loopback or a management network."
                    + " Default: ${DEFAULT-VALUE}.").build();
    final OptionSpec apiPort = count("--api-port", "PORT", API.port(),
            "Port of the HTTP control API; 0 picks a free one (written to STATE-DIR/api.url). Default: ${DEFAULT-VALUE}.");
    final OptionSpec noApi = flag("--no-api", "No HTTP control API: only the local control socket (STATE-DIR/control.sock).");
    final OptionSpec accessKeyFile = OptionSpec.builder("--access-key-file").paramLabel("FILE").type(Path.class)
            .description("File holding the key HTTP callers must send (Authorization: Bearer KEY), at least 16"
                    + " characters. Default: $HERD_ACCESS_KEY, else STATE-DIR/access.key, generated (mode 0600) when"
                    + " missing.").build();
    final OptionSpec apiAllowGet = flag("--api-allow-get", "Let GET /cli?cmd=... run commands (cluster-service's"
            + " allowHttpGet, for trying things out); off by default: commands that change the cluster need POST.");
    final OptionSpec ecvMonitor = OptionSpec.builder("--ecv-monitor").paramLabel("PATH").type(String.class)
            .description("A path on the service (e.g. /health) that GET /ecv checks answers 2xx before reporting"
                    + " AVAILABLE. Default: only check that a worker is ready.").build();
    final OptionSpec logTo = OptionSpec.builder("--log-to").paramLabel("files|stdout").type(String.class)
            .converters(new ParsingConverter<>(RunOptions::logTo)).defaultValue("files")
            .description("Where worker output goes: files (worker-SLOT.log in the log dir, rotated), or stdout: every"
                    + " line also on the master's stdout after 'slot=N | ', in order and none dropped (the container"
                    + " convention; the files are kept for herd logs). Default: ${DEFAULT-VALUE}.").build();
    final OptionSpec logFormat = OptionSpec.builder("--log-format").paramLabel("logfmt|json").type(String.class)
            .converters(new ParsingConverter<>(MasterLog::format)).defaultValue("logfmt")
            .description("The master's own lines: logfmt ('TIME LEVEL event=... key=value') or json (one object per"
                    + " line: time, level, then the event's fields; worker lines as slot and line). Default:"
                    + " ${DEFAULT-VALUE}.").build();
    final OptionSpec user = OptionSpec.builder("--user").paramLabel("USER").type(String.class)
            .description("Run the workers as this user (name or uid), with its groups as login sets them; the master"
                    + " stays as it is (root, to keep nat mode and ports below 1024) and hands them only the sockets"
                    + " they need. HOME, USER and LOGNAME become the user's. Needs a root master and setpriv"
                    + " (util-linux). Default: the master's user.").build();
    final OptionSpec group = OptionSpec.builder("--group").paramLabel("GROUP").type(String.class)
            .description("The workers' primary group (name or gid). Default: the --user's own group, else the"
                    + " master's.").build();
    final OptionSpec chdir = OptionSpec.builder("--chdir").paramLabel("DIR").type(Path.class)
            .description("The workers' working directory (a relative command is found there). Default: the"
                    + " master's.").build();
    final OptionSpec env = OptionSpec.builder("-e", "--env").paramLabel("NAME=VALUE").type(java.util.Map.class)
            .auxiliaryTypes(String.class, String.class)
            .description("A variable added to every worker's environment (repeatable); overrides the master's and"
                    + " --env-file's. Default: none.").build();
    final OptionSpec envFile = OptionSpec.builder("--env-file").paramLabel("FILE").type(Path.class)
            .description("Variables for every worker from a dotenv file: NAME=value lines, # comments, optional"
                    + " quotes and 'export'. Read at start; owned by you or root and writable by nobody else."
                    + " Default: none.").build();
    final OptionSpec umask = OptionSpec.builder("--umask").paramLabel("MODE").type(Integer.class)
            .converters(new ParsingConverter<>(dev.herd.ProcessSettings::parseUmask))
            .description("The workers' file mode creation mask, octal (e.g. 027). Default: the master's.").build();
    final OptionSpec nofile = OptionSpec.builder("--nofile").paramLabel("N").type(Long.class)
            .description("The workers' open-files limit (RLIMIT_NOFILE, soft and hard; above the master's hard limit"
                    + " needs root). Default: the master's.").build();
    final OptionSpec console = flag("--console", "An interactive prompt on the terminal once the master listens"
            + " (herd console's: its commands, history, Tab completion), its log lines printed above it; exit or"
            + " Ctrl-D leaves it and the master goes on, Ctrl-C stops the master as ever. Needs a terminal; not a"
            + " settings-file key.");
    final OptionSpec config = OptionSpec.builder("-c", "--config").paramLabel("FILE").type(Path.class)
            .description("Read settings from this YAML file: its keys are these options' names without '--'"
                    + " (max-memory: 150m, sticky: true), and command: [program, args...] the worker command; options"
                    + " given here override the file's. herd config init writes an example, herd config check checks"
                    + " one. Default: $HERD_CONFIG, else none.").build();
    final PositionalParamSpec command = PositionalParamSpec.builder().paramLabel("COMMAND").arity("0..*")
            .type(List.class).auxiliaryTypes(String.class)
            .description("The worker program and its arguments, after '--'. Default: the bundled demo worker.").build();

    /** The command's model, its options in the order {@code herd run --help} lists them. */
    final CommandSpec spec;

    RunOptions(Object runCommand) {
        spec = CommandSpec.wrapWithoutInspection(runCommand).name(RunCommand.NAME)
                .versionProvider(new VersionProvider());
        spec.usageMessage().sortOptions(false).description(
                "Runs COMMAND as a pool of worker processes sharing one listening socket, in the foreground.",
                "Without a command, runs the bundled demo worker (an HTTP server answering with its slot and pid).",
                "SIGTERM or Ctrl-C drains the workers and stops; a second Ctrl-C stops at once.",
                "SIGHUP or SIGUSR2 reloads (new generation, slot by slot, no dropped connection); SIGUSR1 kills retired workers.")
                .footer("", "Examples:",
                        "  herd run --workers 4 --port 8080",
                        "  herd run --workers auto --port 8080 -- java -jar app.jar",
                        "  herd run --socket-fd 3 --ready-when notify -- ./my-server",
                        "  herd run --mode reuseport --sticky -- java -jar app.jar",
                        "  herd run --takeover --workers 4 --port 8080 -- java -jar app-v2.jar   (replaces a running master)",
                        "  herd run --mode proxy --balance least-conn -- node server.js   (binds $PORT)",
                        "  sudo herd run --mode nat -- node server.js   (binds $PORT on $HERD_HOST)",
                        "  herd run -c herd.yaml --workers 8   (the file's settings, with 8 workers)",
                        "", "Durations take a unit: 500ms, 30s, 2m, 1h (a bare number is seconds).",
                        "", "Exit codes: 0 stopped cleanly, 1 internal error, 2 bad usage,",
                        "3 could not listen or set up, 4 every slot failed, 130 hard stop (second Ctrl-C).");
        for (OptionSpec option : List.of(config, workers, port, host, mode, sticky, takeover, balance, proxyHeader, idleTimeout, backlog, socketFd,
                readyWhen, startTimeout, restartDelay, maxRestartDelay, maxRestartsPerMinute, maxFailedStarts,
                drainTimeout, reloadBatch, canarySeconds, retiredNice, maxMemory, maxMemoryHard, maxRequests,
                maxConnections, maxJitter, maxUptime, maxUptimeJitter, clusterMemoryHigh, clusterMemoryLow, overloadRecycle, reloadAt, stateDir, logDir, watchdogTimeout, logMaxBytes,
                logKeep, logTo, logFormat, user, group, chdir, env, envFile, umask, nofile, apiHost, apiPort, noApi, accessKeyFile,
                apiAllowGet, ecvMonitor, console)) {
            spec.addOption(option);
        }
        spec.addPositional(command);
        addStandardHelpOptions(spec);
    }

    /**
     * {@code -h/--help} and {@code -V/--version}, as picocli's {@code mixinStandardHelpOptions} gives them, last in the
     * help; built here because that mixin is an annotated class read by reflection.
     */
    static void addStandardHelpOptions(CommandSpec spec) {
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true)
                .description("Show this help message and exit.").build());
        spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true)
                .description("Print version information and exit.").build());
    }

    private static String logTo(String value) {
        return switch (value) {
            case "files", "stdout" -> value;
            default -> throw new IllegalArgumentException("'" + value + "' is not a place for worker output; give files"
                    + " or stdout");
        };
    }

    private static OptionSpec flag(String name, String description) {
        return OptionSpec.builder(name).type(boolean.class).defaultValue("false").description(description).build();
    }

    private static OptionSpec count(String name, String label, int defaultValue, String description) {
        return OptionSpec.builder(name).paramLabel(label).type(int.class).defaultValue(Integer.toString(defaultValue))
                .description(description).build();
    }

    private static OptionSpec size(String name, String description) {
        return OptionSpec.builder(name).paramLabel("SIZE").type(Long.class).converters(new ByteSizes())
                .description(description).build();
    }

    private static OptionSpec duration(String name, Duration defaultValue, String description) {
        return OptionSpec.builder(name).paramLabel("DURATION").type(Duration.class).converters(new Durations())
                .defaultValue(dev.herd.Durations.format(defaultValue)).description(description).build();
    }
}
