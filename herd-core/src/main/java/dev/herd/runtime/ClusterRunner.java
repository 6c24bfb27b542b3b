package dev.herd.runtime;

import dev.herd.supervisor.CarriedCounters;
import dev.herd.supervisor.CommandCheck;
import dev.herd.supervisor.Delegates;
import dev.herd.supervisor.Supervisor;

import dev.herd.ClusterSpec;
import dev.herd.Event;
import dev.herd.EventListener;
import dev.herd.StartupException;
import dev.herd.control.ControlPlane;
import dev.herd.logs.WorkerLogs;
import dev.herd.listen.Listeners;
import dev.herd.os.NativeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.herd.os.ResourceLimits;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts a cluster for real: checks the command, claims the state directory (the state and log directories
 * checked private to the master's user and created, then locked, so a second master touches nothing of the
 * first's), binds the socket,
 * installs signal handlers, then runs the {@link Supervisor} on the calling thread until the cluster stops.
 * Anything that fails before a worker starts is a {@link StartupException} and leaves nothing behind.
 */
public final class ClusterRunner {
    private static final Logger log = LoggerFactory.getLogger(ClusterRunner.class);

    private ClusterRunner() {
    }

    /** Runs until shutdown; returns the master's exit code. */
    public static int run(ClusterSpec spec, List<EventListener> listeners) {
        return run(spec, listeners, List.of());
    }

    /** Runs until shutdown with the application's own control commands; returns the master's exit code. */
    public static int run(ClusterSpec spec, List<EventListener> listeners, List<dev.herd.Command> commands) {
        return run(spec, listeners, commands, Delegates.NONE);
    }

    /**
     * Runs until shutdown with the application's own control commands, delegate handlers and worker message
     * listeners (library mode); returns the master's exit code.
     */
    public static int run(ClusterSpec spec, List<EventListener> listeners, List<dev.herd.Command> commands,
                          Delegates delegates) {
        Map<String, String> env = System.getenv();
        WorkerAccount account = WorkerAccount.resolve(spec.process(), env);
        account.checkRunnable(CommandCheck.resolve(spec.command(), account.env().get("PATH"), account.directory()),
                spec.command().getFirst());
        checkLimits(spec.workers());
        InetSocketAddress address = resolve(spec.host(), spec.port());
        List<dev.herd.os.ListenSocket> activated = SocketActivation.take(env, spec, address);
        long began = System.nanoTime();
        // --takeover with a master running: it stops where it is and lets go of the state dir for this one
        HandoverClient handover = spec.takeover() ? HandoverClient.ask(spec, address).orElse(null) : null;
        if (handover != null && Long.toString(handover.fromPid()).equals(env.get(Rerun.SUCCESSOR_VARIABLE))) {
            spec = keepingWhatRuns(spec, handover.running());
        }
        try (HandoverClient _ = handover;
             StateDirectory state = StateDirectory.claim(spec, handover == null ? Duration.ZERO : LOCK_WAIT,
                     spec.takeover() && handover == null)) {
            account.openStateDir(spec.stateDir(), state.notifyDir(),
                    ClusterSpec.defaultStateDir(spec.port()).getParent());
            Optional<Adopting> adopting = handover != null
                    ? Optional.of(Adopting.handover(spec, state.masterFiles().saved(), state.orphans(), handover.fromPid(),
                            handover.sockets()))
                    : Adopting.decide(spec, address, state.masterFiles().saved(), state.orphans());
            // nat mode: the running master reserves the public port and owns the rules until it lets go, after the
            // confirmation; every other mode's sockets are copied before it
            boolean confirmFirst = handover != null && spec.mode() == dev.herd.ListenMode.NAT;
            if (confirmFirst) {
                handover.confirm();
            }
            if (adopting.isPresent()) {
                activated.forEach(dev.herd.os.ListenSocket::close); // the running cluster's own sockets carry on
            }
            Adopting.Sockets sockets = adopting.isPresent() ? adopt(adopting.get(), address, state.orphans())
                    : new Adopting.Sockets(activated.isEmpty() ? listen(spec, address, state.orphans())
                            : dev.herd.listen.Listeners.activated(spec, activated), 0);
            Listeners socket = sockets.listeners();
            boolean ended = false;
            try {
                if (handover != null && !confirmFirst) {
                    handover.confirm(); // from here on the cluster is this master's
                }
                if (handover != null) {
                    tellServiceManager(env);
                }
                state.masterFiles().write(spec, socket, spec.workers());
                if (adopting.isEmpty()) {
                    warnOfOrphans(state.orphans());
                }
                socket.ready(); // a proxy taken over accepts only now, once nothing can make it give the cluster back
                CarriedCounters counters = handover != null ? handover.running().counters() : CarriedCounters.NONE;
                Takeover takeover = adopting.map(a -> new Takeover(a, a.workers(), sockets.carried(), began, counters))
                        .orElse(null);
                int code = supervise(spec, listeners, commands, delegates, env, account, socket, state, takeover);
                ended = true;
                return code;
            } finally {
                if (state.handedOver()) {
                    // proxy mode: the connections this master forwards go on until they end, or the drain timeout
                    int left = socket.awaitForwardedEnd(spec.drainTimeout());
                    if (left > 0) {
                        log.warn("event=handover.forwarding_cut connections={} note=\"still open at the drain timeout\"", left);
                    }
                }
                socket.close();
                if (ended && !state.handedOver()) {
                    // this master ended with its workers; one that failed to start keeps what a next one adopts from
                    state.masterFiles().remove();
                    state.removeSockets();
                }
            }
        }
    }

    /**
     * Under systemd ({@code NOTIFY_SOCKET}, a unit with {@code NotifyAccess=all}): this process is the service's main
     * one now, so that {@code systemctl reload} through {@code herd upgrade-master} keeps the unit running.
     */
    private static void tellServiceManager(Map<String, String> env) {
        NotifySender.fromEnvironment(env).ifPresent(systemd -> systemd.send("MAINPID=" + ProcessHandle.current().pid()));
    }

    /** The logger every worker line goes to with {@code --log-to stdout} (the CLI writes it as it is, or as JSON). */
    public static final String WORKER_LINES = "herd.worker";

    /** How long a master taking over waits for the one handing over to let go of the state dir's lock. */
    private static final Duration LOCK_WAIT = Duration.ofSeconds(10);

    /**
     * The successor of {@code upgrade-master}: it was given its predecessor's original command line, and keeps what
     * the cluster runs now instead (the command and slots an upgrade or a scale left; the environment an upgrade
     * added stays in the adopted workers' deployment).
     */
    private static ClusterSpec keepingWhatRuns(ClusterSpec spec, HandoverClient.Running running) {
        List<String> command = running.argv().isEmpty() ? spec.command() : running.argv();
        int workers = running.workers() > 0 && spec.mode() != dev.herd.ListenMode.REUSEPORT
                && spec.mode() != dev.herd.ListenMode.NAT ? running.workers() : spec.workers();
        return new ClusterSpec(workers, spec.host(), spec.port(), spec.backlog(), spec.mode(), spec.sticky(),
                spec.balance(), spec.proxyHeader(), spec.socketFd(), command, spec.readyWhen(), spec.startTimeout(),
                spec.restartDelay(), spec.maxRestartDelay(), spec.maxRestartsPerMinute(), spec.maxFailedStarts(),
                spec.drainTimeout(), spec.reloadBatch(), spec.canaryPeriod(), spec.retiredNice(), spec.stateDir(),
                spec.logDir(), spec.logMaxBytes(), spec.logKeep(), spec.api(), spec.watchdogTimeout(), spec.takeover(),
                spec.recycling(), spec.idleTimeout(), spec.process(), spec.logToStdout());
    }

    /** An adoption to carry out once the supervisor exists. */
    private record Takeover(Adopting adopting, List<dev.herd.supervisor.AdoptedWorker> workers, int sockets,
                            long beganNanos, CarriedCounters counters) {
    }

    private static Adopting.Sockets adopt(Adopting adopting, InetSocketAddress address,
                                          List<WorkerRecords.Orphan> orphans) {
        try {
            return adopting.sockets(address);
        } catch (NativeException e) {
            throw cannotListen(address, e.errnoName(), e.getMessage(), orphans, e);
        } catch (java.io.IOException e) {
            throw cannotListen(address, "", String.valueOf(e.getMessage()), orphans, e);
        }
    }

    private static int supervise(ClusterSpec spec, List<EventListener> listeners, List<dev.herd.Command> commands,
                                 Delegates delegates, Map<String, String> env, WorkerAccount account,
                                 Listeners socket, StateDirectory state, Takeover takeover) {
        int port = socket.address().getPort();
        try (WorkerCgroups cgroups = WorkerCgroups.open(port, env);
             OsWorkerLauncher launcher = new OsWorkerLauncher(socket, spec.socketFd(), cgroups, state.records(), account)) {
            return superviseWith(spec, listeners, commands, delegates, env, account, socket, state, cgroups, launcher,
                    takeover);
        }
    }

    @SuppressWarnings("try") // a hand-over closes the control plane early, before the new master opens its own
    private static int superviseWith(ClusterSpec spec, List<EventListener> listeners, List<dev.herd.Command> commands,
                                     Delegates delegates, Map<String, String> env, WorkerAccount account,
                                     Listeners socket, StateDirectory state, WorkerCgroups cgroups,
                                     OsWorkerLauncher launcher, Takeover takeover) {
        int port = socket.address().getPort();
        WorkerLogs logs = new WorkerLogs(spec.logDir(), spec.logMaxBytes(), spec.logKeep());
        if (spec.logToStdout()) {
            org.slf4j.Logger workerLines = org.slf4j.LoggerFactory.getLogger(WORKER_LINES);
            logs.echoTo(line -> workerLines.info("slot={} | {}", line.slot(), line.text()));
        }
        logs.start();
        List<EventListener> all = new ArrayList<>();
        all.add(new EventLog());
        all.add(state.records());
        all.add(event -> {
            if (event instanceof Event.WorkerExited exited) {
                logs.workerExited(exited.slot());
            }
        });
        ControlPlane.Observers observers = ControlPlane.Observers.create();
        all.addAll(observers.listeners());
        all.addAll(listeners);
        java.util.Optional<ServiceNotifier> serviceManager = ServiceNotifier.fromEnvironment(env, spec.workers());
        serviceManager.ifPresent(all::add);
        Supervisor supervisor = new Supervisor(spec, port, account.env(), launcher, socket, all,
                System::nanoTime, InstantSource.system());
        serviceManager.filter(notifier -> !notifier.watchdogPeriod().isZero())
                .ifPresent(notifier -> supervisor.every(notifier.watchdogPeriod(), notifier::ping));
        OrphanReaper orphans = OrphanReaper.start(launcher::isWorker);
        supervisor.every(Duration.ofSeconds(1), orphans::reap);
        supervisor.delegates(delegates);
        supervisor.successor(new Rerun(env));
        if (takeover != null) {
            supervisor.adopt(takeover.workers(),
                    takeover.adopting().isHandover() ? "handover" : "adoption", takeover.adopting().fromPid(),
                    takeover.sockets(), takeover.beganNanos(), takeover.counters());
        }
        supervisor.workerOutput(new LoggedOutput(logs, spec.logDir()));
        logs.reportTo(event -> supervisor.publish(event));
        try (logs; ControlPlane control = ControlPlane.open(spec, supervisor, supervisor::publish, launcher.containment(),
                observers, logs, commands, socket.address(), format(socket.address()));
             HandoverServer _ = HandoverServer.open(spec, socket.address(), socket::heldPorts, supervisor, state, () -> {
                 // the new master confirmed: everything it opens at the same paths is let go of first
                 state.handOver();
                 launcher.handOver();
                 cgroups.handOver();
                 control.closeForHandover();
                 logs.close();
                 socket.handOver();
             })) {
            SignalBridge.install(signal -> supervisor.signal(signal), launcher);
            cgroups.start(takeover == null ? java.util.Set.of()
                    : takeover.workers().stream().map(w -> w.pid()).collect(java.util.stream.Collectors.toSet()));
            Event listening = new Event.ClusterListening(InstantSource.system().instant(),
                    format(socket.address()), spec.workers());
            all.forEach(listener -> listener.onEvent(listening));
            return supervisor.run();
        }
    }

    /** Workers of a killed master that still run beside this one (their own ports, in proxy or nat mode). */
    private static void warnOfOrphans(List<WorkerRecords.Orphan> orphans) {
        if (!orphans.isEmpty()) {
            log.warn("event=state.orphans count={} pids=\"{}\" stop=\"{}\"", orphans.size(), pids(orphans, " "),
                    stopCommand(orphans));
        }
    }

    /** Refuses to start when the open-files or process limit leaves no room for the workers (exit 3). */
    private static void checkLimits(int workers) {
        ResourcePreflight.openFiles(workers, ResourceLimits.openFilesLimit(), ResourceLimits.openDescriptors())
                .or(() -> ResourcePreflight.processes(workers, ResourceLimits.processLimit(),
                        () -> ResourceLimits.threadsOfUser(ResourceLimits.realUid()), ResourceLimits.processLimitEnforced()))
                .ifPresent(problem -> {
                    throw new StartupException(StartupException.SETUP, problem);
                });
    }

    private static InetSocketAddress resolve(String host, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new StartupException(StartupException.USAGE, "host: '" + host
                    + "' is not an IP address or a known host name; use e.g. 0.0.0.0, ::, 127.0.0.1");
        }
    }

    private static Listeners listen(ClusterSpec spec, InetSocketAddress address, List<WorkerRecords.Orphan> orphans) {
        try {
            return Listeners.open(spec, address);
        } catch (NativeException e) {
            throw cannotListen(address, e.errnoName(), e.getMessage(), orphans, e);
        } catch (dev.herd.listen.NatUnavailableException e) {
            throw new StartupException(StartupException.SETUP, e.getMessage(), e);
        } catch (java.io.IOException e) {
            // proxy and nat modes bind through the JDK, which says which error in words
            String message = String.valueOf(e.getMessage());
            String errno = message.contains("Address already in use") ? "EADDRINUSE"
                    : message.contains("Permission denied") ? "EACCES"
                    : message.contains("Cannot assign requested address") ? "EADDRNOTAVAIL" : "";
            throw cannotListen(address, errno, message, orphans, e);
        }
    }

    private static StartupException cannotListen(InetSocketAddress address, String errno, String message,
                                                 List<WorkerRecords.Orphan> orphans, Exception cause) {
        String advice = switch (errno) {
            case "EADDRINUSE" -> orphans.isEmpty()
                    ? "port " + address.getPort() + " is already in use on "
                            + address.getAddress().getHostAddress() + "; stop whatever listens there or choose another --port"
                    : "port " + address.getPort() + " is still held by " + orphans.size() + " worker"
                            + (orphans.size() == 1 ? "" : "s") + " of an earlier Herd master on this state dir that is no"
                            + " longer running (" + describe(orphans) + "); stop them with: " + stopCommand(orphans);
            case "EACCES" -> "permission denied; ports below 1024 need root or CAP_NET_BIND_SERVICE";
            case "EADDRNOTAVAIL" -> "address " + address.getAddress().getHostAddress()
                    + " is not on this machine; choose another --host";
            default -> message;
        };
        return new StartupException(StartupException.SETUP, "cannot listen on " + format(address) + ": " + advice, cause);
    }

    private static String describe(List<WorkerRecords.Orphan> orphans) {
        StringBuilder text = new StringBuilder();
        for (WorkerRecords.Orphan orphan : orphans) {
            text.append(text.isEmpty() ? "" : ", ").append("pid ").append(orphan.pid()).append(" slot ").append(orphan.slot())
                    .append(" generation ").append(orphan.generation());
        }
        return text.toString();
    }

    /** Each worker leads its own process group (it was spawned in a session of its own), so this ends its children too. */
    private static String stopCommand(List<WorkerRecords.Orphan> orphans) {
        return Adopting.stopCommand(orphans);
    }

    private static String pids(List<WorkerRecords.Orphan> orphans, String separator) {
        return String.join(separator, orphans.stream().map(o -> Integer.toString(o.pid())).toList());
    }

    /** {@code 127.0.0.1:8080} or {@code [::1]:8080}: IPv6 in its short form, as operators type it. */
    public static String format(InetSocketAddress address) {
        if (address.getAddress() instanceof Inet6Address v6) {
            return "[" + compress(v6) + "]:" + address.getPort();
        }
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    /** RFC 5952 text: lower-case hex groups, the longest run (2+) of zero groups written as "::". */
    public static String compress(Inet6Address address) {
        byte[] bytes = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (!text.isEmpty() && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }
}
