package dev.herd;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a master needs to run one cluster: immutable and validated once, whatever produced it
 * (CLI flags, the library builder). Build one with {@link #builder()}.
 *
 * @param workers              number of slots, each holding one worker process
 * @param host                 address to listen on ({@code 0.0.0.0}, {@code ::}, {@code 127.0.0.1}, ...)
 * @param port                 TCP port; 0 picks a free one
 * @param backlog              listen backlog of each listening socket
 * @param mode                 how the port reaches the workers (see {@link ListenMode})
 * @param sticky               reuseport only: the same client address always reaches the same slot (nat mode always is)
 * @param balance              proxy only: how a worker is picked for a new connection
 * @param proxyHeader          proxy only: PROXY protocol header sent to the worker first
 * @param socketFd             where workers find the socket: 0 ({@code System.inheritedChannel()}) or 3 (systemd {@code LISTEN_FDS})
 * @param command              the worker program and its arguments
 * @param readyWhen            when a new worker counts as ready
 * @param startTimeout         a worker not ready by then is killed and counts as a failed start
 * @param restartDelay         first delay before respawning a crashed worker; grows while crashes repeat
 * @param maxRestartDelay      ceiling of that growth
 * @param maxRestartsPerMinute unexpected exits of one slot within 60 s beyond which the slot is marked failed
 * @param maxFailedStarts      failed starts in a row (a worker that exited or hit the start timeout before it was
 *                             ready) after which the slot is marked failed; a ready worker ends the streak
 * @param drainTimeout         how long a worker may take to finish after SIGTERM before SIGKILL
 * @param reloadBatch          how many slots a reload or upgrade replaces at a time
 * @param retiredNice          autogroup nice value given to retired (draining) workers, 0 to leave them as they are
 * @param canaryPeriod         how long an upgrade's first new worker must stay healthy before the rest roll
 * @param stateDir             directory for the master's runtime files (notify sockets, ...)
 * @param logDir               directory for the per-slot worker log files
 * @param logMaxBytes          a worker log file is rotated before it grows beyond this
 * @param logKeep              rotated log files kept per slot
 * @param api                  the HTTP control API
 * @param watchdogTimeout      a ready worker that has sent heartbeats and then sends none for this long is replaced;
 *                             zero turns the watchdog off
 * @param takeover             when a master already runs on the state dir: take its cluster over (it hands over its
 *                             sockets and workers, then exits) instead of refusing to start
 * @param recycling            when a worker is replaced before it leaks or wears out further (memory, requests,
 *                             connections, uptime); {@link Recycling#NONE} by default
 * @param idleTimeout          proxy only: a forwarded connection through which nothing moved for this long is closed;
 *                             zero keeps it open
 * @param logToStdout          every worker line also goes to the master's log (its stdout under herd run), after
 *                             {@code slot=N | }: the container convention; the log files are kept as well
 * @param process              how each worker process is started: user, group, directory, environment, umask, open
 *                             files ({@link ProcessSettings#INHERIT}: as the master)
 */
public record ClusterSpec(
        int workers,
        String host,
        int port,
        int backlog,
        ListenMode mode,
        boolean sticky,
        Balance balance,
        ProxyHeader proxyHeader,
        int socketFd,
        List<String> command,
        ReadyWhen readyWhen,
        Duration startTimeout,
        Duration restartDelay,
        Duration maxRestartDelay,
        int maxRestartsPerMinute,
        int maxFailedStarts,
        Duration drainTimeout,
        int reloadBatch,
        Duration canaryPeriod,
        int retiredNice,
        Path stateDir,
        Path logDir,
        long logMaxBytes,
        int logKeep,
        ApiSpec api,
        Duration watchdogTimeout,
        boolean takeover,
        Recycling recycling,
        Duration idleTimeout,
        ProcessSettings process,
        boolean logToStdout) {

    public static final int MAX_WORKERS = 1024;
    /** nat mode steers by the last byte of the client address: 256 bands, at least one per slot. */
    public static final int NAT_MAX_WORKERS = 256;

    public ClusterSpec {
        command = List.copyOf(command);
        check(workers >= 1 && workers <= MAX_WORKERS, "workers", workers, "must be between 1 and " + MAX_WORKERS);
        check(host != null && !host.isBlank(), "host", host, "must be an IP address or host name");
        check(port >= 0 && port <= 65535, "port", port, "must be between 0 and 65535 (0 picks a free port)");
        check(backlog >= 1, "backlog", backlog, "must be at least 1");
        Objects.requireNonNull(mode, "mode");
        check(!sticky || mode == ListenMode.REUSEPORT, "sticky", sticky, mode == ListenMode.NAT
                ? "is built into --mode nat (clients are steered by address band); drop --sticky"
                : "needs --mode reuseport (sticky sessions pick a slot's socket by client address)");
        check(mode != ListenMode.NAT || workers <= NAT_MAX_WORKERS, "workers", workers,
                "is more than --mode nat's " + NAT_MAX_WORKERS + " address bands; use at most " + NAT_MAX_WORKERS);
        Objects.requireNonNull(balance, "balance");
        Objects.requireNonNull(proxyHeader, "proxyHeader");
        check(mode == ListenMode.PROXY || (balance == Balance.ROUND_ROBIN && proxyHeader == ProxyHeader.NONE),
                "balance/proxy-protocol", balance.label() + "/" + EnumLabels.label(proxyHeader),
                "only apply to --mode proxy");
        check(socketFd == 0 || socketFd == 3, "socket-fd", socketFd,
                "must be 0 (System.inheritedChannel()) or 3 (systemd LISTEN_FDS)");
        check(!command.isEmpty() && !command.getFirst().isBlank(), "command", command, "must name a program to run");
        Objects.requireNonNull(readyWhen, "readyWhen");
        check(startTimeout.isPositive(), "start-timeout", startTimeout, "must be positive");
        check(!restartDelay.isNegative(), "restart-delay", restartDelay, "must not be negative");
        check(maxRestartDelay.compareTo(restartDelay) >= 0, "max-restart-delay", maxRestartDelay,
                "must not be smaller than restart-delay (" + Durations.format(restartDelay) + ")");
        check(maxRestartsPerMinute >= 1, "max-restarts-per-minute", maxRestartsPerMinute, "must be at least 1");
        check(maxFailedStarts >= 1, "max-failed-starts", maxFailedStarts,
                "must be at least 1 (failed starts in a row before a slot is given up)");
        check(!drainTimeout.isNegative(), "drain-timeout", drainTimeout, "must not be negative");
        check(reloadBatch >= 1 && reloadBatch <= workers, "reload-batch", reloadBatch,
                "must be between 1 and the number of workers (" + workers + ")");
        check(!canaryPeriod.isNegative(), "canary-seconds", canaryPeriod.toSeconds(), "must not be negative");
        check(retiredNice >= 0 && retiredNice <= 19, "retired-nice", retiredNice,
                "must be between 0 (leave retired workers alone) and 19 (lowest priority)");
        // Absolute, because workers get paths inside them (NOTIFY_SOCKET) and may change directory.
        stateDir = Objects.requireNonNull(stateDir, "stateDir").toAbsolutePath().normalize();
        logDir = Objects.requireNonNull(logDir, "logDir").toAbsolutePath().normalize();
        check(logMaxBytes >= 4096, "log-max-size", logMaxBytes, "must be at least 4096 bytes (4k)");
        check(logKeep >= 0 && logKeep <= 1000, "log-keep", logKeep, "must be between 0 and 1000 rotated files");
        Objects.requireNonNull(api, "api");
        check(watchdogTimeout.isZero() || watchdogTimeout.toMillis() >= 100, "watchdog-timeout", watchdogTimeout,
                "must be 0 (off) or at least 100ms");
        Objects.requireNonNull(recycling, "recycling");
        check(idleTimeout != null && (idleTimeout.isZero() || idleTimeout.toMillis() >= 100), "idle-timeout",
                idleTimeout, "must be 0 (off) or at least 100ms");
        Objects.requireNonNull(process, "process");
        check(idleTimeout.isZero() || mode == ListenMode.PROXY, "idle-timeout", idleTimeout,
                "only applies to --mode proxy (the master sees the connections only there; set the server's own idle"
                        + " timeout otherwise)");
    }

    /** A setting's rule: a {@link ConfigException} naming the setting, its value and the rule when broken. */
    static void check(boolean ok, String setting, Object value, String rule) {
        if (!ok) {
            // durations as operators write them (30s, 500ms), not as Duration.toString() (PT30S)
            Object shown = value instanceof Duration duration ? Durations.format(duration) : value;
            throw new ConfigException(setting + ": '" + shown + "' " + rule);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Defaults are the ones documented in the README; every setter is optional except the command. */
    public static final class Builder {
        private int workers = Runtime.getRuntime().availableProcessors();
        private String host = "0.0.0.0";
        private int port = 8080;
        private int backlog = 4096;
        private ListenMode mode = ListenMode.SHARED;
        private boolean sticky;
        private Balance balance = Balance.ROUND_ROBIN;
        private ProxyHeader proxyHeader = ProxyHeader.NONE;
        private int socketFd = 0;
        private List<String> command = List.of();
        private ReadyWhen readyWhen = ReadyWhen.LISTENING;
        private Duration startTimeout = Duration.ofSeconds(60);
        private Duration restartDelay = Duration.ofMillis(200);
        private Duration maxRestartDelay = Duration.ofSeconds(30);
        private int maxRestartsPerMinute = 10;
        private int maxFailedStarts = 5;
        private Duration drainTimeout = Duration.ofSeconds(30);
        private int reloadBatch = 1;
        private Duration canaryPeriod = Duration.ofSeconds(10);
        private int retiredNice = 10;
        private Path stateDir;
        private Path logDir;
        private ApiSpec api = ApiSpec.defaults();
        private long logMaxBytes = 10L * 1024 * 1024;
        private int logKeep = 5;
        private Duration watchdogTimeout = Duration.ZERO;
        private boolean takeover;
        private Recycling recycling = Recycling.NONE;
        private Duration idleTimeout = Duration.ZERO;
        private String user;
        private String group;
        private Path workingDirectory;
        private final Map<String, String> env = new LinkedHashMap<>();
        private final Map<String, String> envFromFile = new LinkedHashMap<>();
        private int umask = -1;
        private long openFiles;
        private boolean logToStdout;

        private Builder() {
        }

        public Builder workers(int workers) { this.workers = workers; return this; }
        public Builder host(String host) { this.host = host; return this; }
        public Builder port(int port) { this.port = port; return this; }
        public Builder backlog(int backlog) { this.backlog = backlog; return this; }
        public Builder mode(ListenMode mode) { this.mode = mode; return this; }
        public Builder sticky(boolean sticky) { this.sticky = sticky; return this; }
        public Builder balance(Balance balance) { this.balance = balance; return this; }
        public Builder proxyHeader(ProxyHeader proxyHeader) { this.proxyHeader = proxyHeader; return this; }
        public Builder socketFd(int socketFd) { this.socketFd = socketFd; return this; }
        public Builder command(List<String> command) { this.command = command; return this; }
        public Builder readyWhen(ReadyWhen readyWhen) { this.readyWhen = readyWhen; return this; }
        public Builder startTimeout(Duration startTimeout) { this.startTimeout = startTimeout; return this; }
        public Builder restartDelay(Duration restartDelay) { this.restartDelay = restartDelay; return this; }
        public Builder maxRestartDelay(Duration maxRestartDelay) { this.maxRestartDelay = maxRestartDelay; return this; }
        public Builder maxRestartsPerMinute(int max) { this.maxRestartsPerMinute = max; return this; }
        public Builder maxFailedStarts(int max) { this.maxFailedStarts = max; return this; }
        public Builder drainTimeout(Duration drainTimeout) { this.drainTimeout = drainTimeout; return this; }
        public Builder reloadBatch(int reloadBatch) { this.reloadBatch = reloadBatch; return this; }
        public Builder canaryPeriod(Duration canaryPeriod) { this.canaryPeriod = canaryPeriod; return this; }
        public Builder retiredNice(int retiredNice) { this.retiredNice = retiredNice; return this; }
        public Builder stateDir(Path stateDir) { this.stateDir = stateDir; return this; }
        public Builder logDir(Path logDir) { this.logDir = logDir; return this; }
        public Builder api(ApiSpec api) { this.api = api; return this; }
        public Builder logMaxBytes(long logMaxBytes) { this.logMaxBytes = logMaxBytes; return this; }
        public Builder logKeep(int logKeep) { this.logKeep = logKeep; return this; }
        public Builder watchdogTimeout(Duration watchdogTimeout) { this.watchdogTimeout = watchdogTimeout; return this; }
        public Builder takeover(boolean takeover) { this.takeover = takeover; return this; }
        public Builder recycling(Recycling recycling) { this.recycling = recycling; return this; }
        public Builder idleTimeout(Duration idleTimeout) { this.idleTimeout = idleTimeout; return this; }
        /** The account workers run as (name or uid); the master must be root to switch. */
        public Builder user(String user) { this.user = user; return this; }
        /** The workers' primary group (name or gid); default the user's. */
        public Builder group(String group) { this.group = group; return this; }
        public Builder workingDirectory(Path workingDirectory) { this.workingDirectory = workingDirectory; return this; }
        /** A variable added to every worker's environment; it overrides the master's and an env file's. */
        public Builder env(String name, String value) { this.env.put(name, value); return this; }
        public Builder env(Map<String, String> variables) { this.env.putAll(variables); return this; }
        /**
         * The variables of a dotenv file ({@code NAME=value} lines), read now; {@link #env} overrides them.
         *
         * @throws ConfigException naming the file, line and what is wrong
         */
        public Builder envFile(Path file) { this.envFromFile.putAll(EnvFile.read(file)); return this; }
        /** The workers' umask, 0 to 0777 (e.g. {@code 0027}). */
        public Builder umask(int umask) { this.umask = umask; return this; }
        /** Every worker line also to the master's log ({@code slot=N | line}), as containers collect logs. */
        public Builder logToStdout(boolean logToStdout) { this.logToStdout = logToStdout; return this; }
        /** The workers' open-files limit (RLIMIT_NOFILE, soft and hard). */
        public Builder openFiles(long openFiles) { this.openFiles = openFiles; return this; }

        /**
         * Every setting a settings file gives ({@link SettingsFile}: herd run's options by name, and its command),
         * in place of what this builder had for them; later calls override the file.
         *
         * @throws ConfigException naming the file, line and column of what is wrong
         */
        public Builder settings(Path file) {
            SettingsFile.read(file).applyTo(this);
            return this;
        }

        public ClusterSpec build() {
            Path state = stateDir != null ? stateDir : defaultStateDir(port);
            Path logs = logDir != null ? logDir : state.resolve("logs");
            return new ClusterSpec(workers, host, port, backlog, mode, sticky, balance, proxyHeader, socketFd, command, readyWhen, startTimeout,
                    restartDelay, maxRestartDelay, maxRestartsPerMinute, maxFailedStarts, drainTimeout, reloadBatch, canaryPeriod, retiredNice, state, logs, logMaxBytes, logKeep, api, watchdogTimeout, takeover, recycling, idleTimeout, process(), logToStdout);
        }

        private ProcessSettings process() {
            Map<String, String> variables = new LinkedHashMap<>(envFromFile);
            variables.putAll(env);
            return new ProcessSettings(user, group, workingDirectory, variables, umask, openFiles);
        }
    }

    /**
     * One state directory per port, so that two clusters on one machine never share files:
     * {@code $XDG_RUNTIME_DIR/herd/PORT} when that is set, else {@code /tmp/herd-USER/PORT}.
     */
    public static Path defaultStateDir(int port) {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        Path base = runtime != null && !runtime.isBlank()
                ? Path.of(runtime, "herd")
                : Path.of(System.getProperty("java.io.tmpdir"), "herd-" + System.getProperty("user.name"));
        return base.resolve(Integer.toString(port));
    }
}
