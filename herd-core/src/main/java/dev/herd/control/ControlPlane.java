package dev.herd.control;

import dev.herd.ApiSpec;
import dev.herd.ClusterSpec;
import dev.herd.StartupException;
import dev.herd.command.ClusterStatus;
import dev.herd.command.CommandGateway;
import dev.herd.command.Containment;
import dev.herd.command.ControlCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.InstantSource;

/**
 * Everything an operator reaches a running master through: the command table, the local control socket and the
 * HTTP API with its access key and ECV. Opened once the supervisor exists, closed after it has stopped.
 */
public final class ControlPlane implements AutoCloseable {
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
    private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);
    /** Where the CLI finds the HTTP API of the master of a state dir. */
    public static final String API_URL_FILE = "api.url";

    private final ControlServer local;
    private final HttpApi http;
    private final Path apiUrlFile;
    private final Observers observers;

    private final Samples samples;

    private ControlPlane(ControlServer local, HttpApi http, Path apiUrlFile, Observers observers, Samples samples) {
        this.samples = samples;
        this.local = local;
        this.http = http;
        this.apiUrlFile = apiUrlFile;
        this.observers = observers;
    }

    /**
     * What the control plane learns from the master's events (the event stream, the metrics' counters): made
     * before the supervisor, which must have them among its listeners from its first event.
     */
    public record Observers(EventHub events, Metrics metrics, ApiStats apiStats, java.time.Instant startedAt) {
        public static Observers create() {
            ApiStats stats = new ApiStats();
            java.time.Instant now = java.time.Instant.now();
            return new Observers(new EventHub(), new Metrics(now, stats), stats, now);
        }

        public java.util.List<dev.herd.EventListener> listeners() {
            return java.util.List.of(events, metrics);
        }
    }

    /**
     * @param serviceAddress the address clients reach the service on
     * @param address        the same, as text for operators
     * @param publish        where the control plane's own events go (an operator's {@code ecv enable}/{@code disable})
     * @param custom         the application's own commands (library mode), added after the built-in ones
     * @throws StartupException when a custom command's name is malformed or taken
     */
    public static ControlPlane open(ClusterSpec spec, CommandGateway supervisor,
                                    java.util.function.Consumer<dev.herd.Event> publish, Containment containment,
                                    Observers observers, dev.herd.logs.WorkerLogs logs, java.util.List<dev.herd.Command> custom,
                                    InetSocketAddress serviceAddress, String address) {
        ApiSpec api = spec.api();
        CommandTable commands = new CommandTable();
        java.util.function.Supplier<ClusterStatus> status =
                () -> supervisor.submit(new ControlCommand.Status()).join();
        Ecv ecv = new Ecv(serviceAddress, api.ecvMonitor(), status, InstantSource.system());
        ecv.reportTo(publish);
        HttpApi[] http = new HttpApi[1];
        Samples samples = Samples.start(status);
        BuiltInCommands.register(commands, supervisor, containment, spec, ecv, observers, logs, address,
                () -> http[0] == null ? null : url(http[0].address()), samples);
        for (dev.herd.Command command : custom) {
            try {
                commands.add(CustomCommands.def(command));
            } catch (IllegalArgumentException e) {
                throw new StartupException(StartupException.USAGE, "custom command: " + e.getMessage());
            }
        }
        ControlLimits limits = ControlLimits.measure(spec.workers());
        logLimits(limits, spec.workers());
        ControlServer local = ControlServer.open(spec.stateDir(), commands, new Streams(observers.events(), logs),
                limits.localConnections());
        Path urlFile = spec.stateDir().resolve(API_URL_FILE);
        try {
            if (api.enabled()) {
                AccessKey key = AccessKey.load(api.accessKey(), spec.stateDir());
                http[0] = HttpApi.start(new InetSocketAddress(resolve(api.host()), api.port()), commands, key,
                        api.allowGet(), ecv, observers.apiStats(),
                        new HttpApi.Observability(observers.events(), observers.metrics(), status, logs, samples), limits);
                String url = url(http[0].address());
                Files.deleteIfExists(urlFile);
                Files.writeString(urlFile, url + "\n", StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
                log.info("event=api.listening url={} key_file={}", url,
                        api.accessKey() == null ? spec.stateDir().resolve(AccessKey.FILE_NAME) : "(given)");
            } else {
                Files.deleteIfExists(urlFile);
            }
        } catch (IOException | RuntimeException e) {
            samples.close();
            local.close();
            if (http[0] != null) {
                http[0].close();
            }
            if (e instanceof StartupException startup) {
                throw startup;
            }
            throw new StartupException(StartupException.SETUP, "cannot set up the HTTP API: " + e.getMessage(), e);
        }
        return new ControlPlane(local, http[0], urlFile, observers, samples);
    }

    private static void logLimits(ControlLimits limits, int workers) {
        if (limits.reduced()) {
            log.warn("event=control.limits api_connections={} local_connections={} fd_limit={} fds_open={} reserved={} "
                            + "note=\"the fd limit is too low for {} control connections per transport beside the workers; "
                            + "raise it (ulimit -n, LimitNOFILE=) to restore them\"", limits.apiConnections(),
                    limits.localConnections(), limits.fdLimit(), limits.fdsOpen(), ControlLimits.reserve(workers),
                    ControlLimits.MAX_CONNECTIONS);
        } else {
            log.debug("event=control.limits api_connections={} local_connections={} fd_limit={} fds_open={}",
                    limits.apiConnections(), limits.localConnections(), limits.fdLimit(), limits.fdsOpen());
        }
    }

    private static InetAddress resolve(String host) {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new StartupException(StartupException.USAGE, "api-host: '" + host
                    + "' is not an IP address or a known host name; use e.g. 127.0.0.1");
        }
    }

    static String url(InetSocketAddress address) {
        InetAddress host = address.getAddress();
        String text = host instanceof Inet6Address ? "[" + host.getHostAddress() + "]" : host.getHostAddress();
        return "http://" + text + ":" + address.getPort();
    }

    @Override
    public void close() {
        close(true);
    }

    /**
     * A hand-over: closes at once. The commands in flight wait for a loop that has stopped for good; their clients
     * see the connection close and ask again, of the new master.
     */
    public void closeForHandover() {
        close(false);
    }

    /** Idempotent: a master that hands over closes its control plane early, and must not remove the new one's files. */
    private void close(boolean waitForCommands) {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        samples.close();
        observers.events().close(); // ends the event streams, so closing does not wait for them
        if (http != null) {
            http.close();
            try {
                Files.deleteIfExists(apiUrlFile);
            } catch (IOException e) {
                log.warn("event=api.cleanup_error path={} error=\"{}\"", apiUrlFile, e.getMessage());
            }
        }
        local.close(waitForCommands);
    }
}
