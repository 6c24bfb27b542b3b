package dev.herd.supervisor;

import dev.herd.ClusterSpec;
import dev.herd.Event;
import dev.herd.EventListener;
import dev.herd.StartupException;
import dev.herd.control.ControlPlane;
import dev.herd.logs.WorkerLogs;
import dev.herd.listen.Listeners;
import dev.herd.os.NativeException;
import dev.herd.os.ResourceLimits;
import dev.herd.os.UnixSocketPath;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Starts a cluster for real: checks the command, binds the socket, prepares the state and log directories,
 * installs signal handlers, then runs the {@link Supervisor} on the calling thread until the cluster stops.
 * Anything that fails before a worker starts is a {@link StartupException} and leaves nothing behind.
 */
public final class ClusterRunner {
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
        CommandCheck.resolve(spec.command(), env.get("PATH"));
        checkLimits(spec.workers());
        InetSocketAddress address = resolve(spec.host(), spec.port());
        Listeners socket = listen(spec, address);
        OsWorkerLauncher launcher = null;
        try {
            prepareDirectories(spec);
            launcher = new OsWorkerLauncher(socket, spec.socketFd());
            int port = socket.address().getPort();
            WorkerLogs logs = new WorkerLogs(spec.logDir(), spec.logMaxBytes(), spec.logKeep());
            logs.start();
            List<EventListener> all = new ArrayList<>();
            all.add(new EventLog());
            all.add(event -> {
                if (event instanceof Event.WorkerExited) {
                    logs.workerExited();
                }
            });
            ControlPlane.Observers observers = ControlPlane.Observers.create(spec);
            all.addAll(observers.listeners());
            all.addAll(listeners);
            Supervisor supervisor = new Supervisor(spec, port, env, launcher, socket, all,
                    System::nanoTime, InstantSource.system());
            supervisor.delegates(delegates);
            try (logs; ControlPlane control = ControlPlane.open(spec, supervisor, observers, logs, commands, socket.address(),
                    format(socket.address()))) {
                SignalBridge.install(signal -> supervisor.post(new Supervisor.SignalArrived(signal)));
                Event listening = new Event.ClusterListening(InstantSource.system().instant(),
                        format(socket.address()), spec.workers());
                all.forEach(listener -> listener.onEvent(listening));
                return supervisor.run();
            }
        } finally {
            if (launcher != null) {
                launcher.close();
            }
            socket.close();
            deleteQuietly(spec.stateDir().resolve("notify"));
        }
    }

    /** Refuses to start when the open-files or process limit leaves no room for the workers (exit 3). */
    private static void checkLimits(int workers) {
        ResourcePreflight.openFiles(workers, ResourceLimits.openFilesLimit(), ResourceLimits.openDescriptors())
                .or(() -> ResourcePreflight.processes(workers, ResourceLimits.processLimit(),
                        ResourceLimits.threadsOfUser(ResourceLimits.realUid()), ResourceLimits.processLimitEnforced()))
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

    private static Listeners listen(ClusterSpec spec, InetSocketAddress address) {
        try {
            return Listeners.open(spec, address);
        } catch (NativeException e) {
            throw cannotListen(address, e.errnoName(), e.getMessage(), e);
        } catch (dev.herd.listen.NatUnavailableException e) {
            throw new StartupException(StartupException.SETUP, e.getMessage(), e);
        } catch (java.io.IOException e) {
            // proxy and nat modes bind through the JDK, which says which error in words
            String message = String.valueOf(e.getMessage());
            String errno = message.contains("Address already in use") ? "EADDRINUSE"
                    : message.contains("Permission denied") ? "EACCES"
                    : message.contains("Cannot assign requested address") ? "EADDRNOTAVAIL" : "";
            throw cannotListen(address, errno, message, e);
        }
    }

    private static StartupException cannotListen(InetSocketAddress address, String errno, String message, Exception cause) {
        String advice = switch (errno) {
            case "EADDRINUSE" -> "port " + address.getPort() + " is already in use on "
                    + address.getAddress().getHostAddress() + "; stop whatever listens there or choose another --port";
            case "EACCES" -> "permission denied; ports below 1024 need root or CAP_NET_BIND_SERVICE";
            case "EADDRNOTAVAIL" -> "address " + address.getAddress().getHostAddress()
                    + " is not on this machine; choose another --host";
            default -> message;
        };
        return new StartupException(StartupException.SETUP, "cannot listen on " + format(address) + ": " + advice, cause);
    }

    private static void prepareDirectories(ClusterSpec spec) {
        Path longestNotifySocket = Supervisor.notifySocketPath(spec.stateDir(), ClusterSpec.MAX_WORKERS, Long.MAX_VALUE);
        try {
            UnixSocketPath.check(longestNotifySocket);
        } catch (IllegalArgumentException e) {
            throw new StartupException(StartupException.SETUP, "state-dir: '" + spec.stateDir()
                    + "' is too long to hold Unix sockets (their paths are limited to " + UnixSocketPath.MAX_BYTES
                    + " bytes); choose a shorter --state-dir");
        }
        for (Path dir : List.of(spec.stateDir(), spec.stateDir().resolve("notify"), spec.logDir())) {
            try {
                if (!Files.isDirectory(dir)) {
                    // only the master's user may reach its control and notify sockets
                    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                }
            } catch (IOException e) {
                throw new StartupException(StartupException.SETUP, "cannot create directory " + dir + ": "
                        + e.getClass().getSimpleName() + " " + e.getMessage()
                        + "; choose a writable --state-dir or --log-dir", e);
            }
        }
    }

    /** {@code 127.0.0.1:8080} or {@code [::1]:8080}: IPv6 in its short form, as operators type it. */
    static String format(InetSocketAddress address) {
        if (address.getAddress() instanceof Inet6Address v6) {
            return "[" + compress(v6) + "]:" + address.getPort();
        }
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    /** RFC 5952 text: lower-case hex groups, the longest run (2+) of zero groups written as "::". */
    static String compress(Inet6Address address) {
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

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // Leftover notify sockets are harmless: the next master unlinks them before binding.
        }
    }
}
