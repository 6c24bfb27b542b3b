package dev.herd.runtime;

import dev.herd.ClusterSpec;
import dev.herd.ListenMode;
import dev.herd.StartupException;
import dev.herd.listen.Listeners;
import dev.herd.os.ListenSocket;
import dev.herd.os.ListenerCopy;
import dev.herd.os.NativeException;
import dev.herd.os.PidFd;
import dev.herd.os.ProcFs;
import dev.herd.supervisor.AdoptedWorker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Taking over the workers of an earlier master on this state dir: one that hands its cluster over (its listening
 * sockets came with its answer, {@link HandedSockets}), or one that left them running (it was SIGKILLed, OOM-killed,
 * or crashed): whether this master may, and its listening sockets, copied then with pidfd_getfd from a live worker
 * that holds them (found by the inode {@code cluster.json} recorded), so that not one connection waiting in them is
 * lost. Only the same mode on the same address is adopted; anything else is refused with one line that says what
 * differs and how to stop the workers, and nothing is touched.
 */
final class Adopting {
    private static final Logger log = LoggerFactory.getLogger(Adopting.class);

    /** The sockets carried over (the others bound anew) and the listeners built on them. */
    record Sockets(Listeners listeners, int carried) {
    }

    private final ClusterSpec spec;
    private final MasterFiles.SavedCluster saved;
    private final List<WorkerRecords.Orphan> orphans;
    /** A hand-over: the sockets the running master sent (every one; the proxy's public one only it holds). */
    private final HandedSockets handed;

    private Adopting(ClusterSpec spec, MasterFiles.SavedCluster saved, List<WorkerRecords.Orphan> orphans,
                     HandedSockets handed) {
        this.spec = spec;
        this.saved = saved;
        this.orphans = orphans;
        this.handed = handed;
    }

    /**
     * The cluster of the running master {@code fromPid}, which has stopped its loop for this master and sent its
     * listening sockets.
     */
    static Adopting handover(ClusterSpec spec, Optional<MasterFiles.SavedCluster> saved,
                             List<WorkerRecords.Orphan> workers, long fromPid, HandedSockets sockets) {
        if (saved.isEmpty() || saved.get().pid() != fromPid || !saved.get().masterRuns()) {
            throw refuse("the running master (pid " + fromPid + ") wrote no " + MasterFiles.CLUSTER_FILE
                    + " of its own in the state dir; it cannot be taken over");
        }
        return new Adopting(spec, saved.get(), workers, sockets);
    }

    boolean isHandover() {
        return handed != null;
    }

    /**
     * Whether this master adopts what an earlier one left: empty when there is nothing to adopt (no live worker
     * recorded, or they serve another address, which this master leaves alone); a {@link StartupException} when
     * there is, but this master's settings cannot take it over.
     */
    static Optional<Adopting> decide(ClusterSpec spec, InetSocketAddress address,
                                     Optional<MasterFiles.SavedCluster> saved, List<WorkerRecords.Orphan> orphans) {
        if (orphans.isEmpty() || saved.isEmpty()) {
            return Optional.empty(); // nothing left, or left by a master that wrote no cluster.json (older Herd)
        }
        MasterFiles.SavedCluster earlier = saved.get();
        String stop = stopCommand(orphans);
        String workers = orphans.size() + " worker" + (orphans.size() == 1 ? "" : "s");
        if (earlier.format() != MasterFiles.STATE_FORMAT) {
            throw refuse("the state dir's " + workers + " were started by a Herd whose state format is "
                    + earlier.format() + ", not " + MasterFiles.STATE_FORMAT + "; stop them with: " + stop);
        }
        if (earlier.port() != address.getPort() && address.getPort() != 0
                || !sameHost(earlier.host(), address)) {
            return Optional.empty(); // another address: they do not stand in this master's way
        }
        if (earlier.masterRuns()) {
            // its lock is free only while it hands its cluster to another master: never adopt from under it
            throw refuse("the master that runs the state dir's " + workers + " (pid " + earlier.pid() + ") is alive"
                    + " (handing its cluster over?); take it over with herd run --takeover, or stop it");
        }
        String mode = spec.mode().name().toLowerCase(Locale.ROOT);
        if (!earlier.mode().equals(mode)) {
            throw refuse("the state dir's " + workers + " (pid " + earlier.pid() + "'s) run in " + earlier.mode()
                    + " mode on port " + earlier.port() + "; this master asks for " + mode
                    + " mode; run with --mode " + earlier.mode() + " to adopt them, or stop them with: " + stop);
        }
        if (spec.mode() == ListenMode.REUSEPORT && earlier.workers() != spec.workers()) {
            throw refuse("the state dir's " + workers + " run in a reuseport group of " + earlier.workers()
                    + " sockets; this master asks for --workers " + spec.workers() + "; run with --workers "
                    + earlier.workers() + " to adopt them (then scale), or stop them with: " + stop);
        }
        if (spec.mode() == ListenMode.NAT && earlier.workers() != spec.workers()) {
            throw refuse("the state dir's " + workers + " run in nat mode with " + earlier.workers()
                    + " slots (each with its client address bands); this master asks for --workers " + spec.workers()
                    + "; run with --workers " + earlier.workers() + " to adopt them, or stop them with: " + stop);
        }
        if (spec.mode() == ListenMode.REUSEPORT && earlier.sticky() != spec.sticky()) {
            throw refuse("the state dir's " + workers + " run " + (earlier.sticky() ? "with" : "without")
                    + " --sticky; run the same way to adopt them, or stop them with: " + stop);
        }
        return Optional.of(new Adopting(spec, earlier, orphans, null));
    }

    long fromPid() {
        return saved.pid();
    }

    /**
     * The listening sockets: those the running master sent, or copies of the earlier master's where a worker still
     * holds them, else bound anew. A sent socket this master does not use is closed.
     */
    Sockets sockets(InetSocketAddress address) throws IOException {
        try {
            return listeners(new InetSocketAddress(address.getAddress(), saved.port()));
        } finally {
            if (handed != null) {
                handed.close();
            }
        }
    }

    private Sockets listeners(InetSocketAddress at) throws IOException {
        return switch (spec.mode()) {
            case SHARED -> {
                Optional<ListenSocket> copy = copy(saved.sockets().getFirst(), at);
                yield copy.isPresent() ? new Sockets(Listeners.sharedFrom(copy.get()), 1)
                        : new Sockets(Listeners.open(spec, at), 0);
            }
            case REUSEPORT -> reusePort(at);
            case PROXY -> handed != null ? proxyOfRunningMaster(at) : new Sockets(Listeners.open(spec, at), 0);
            case NAT -> {
                // the running master's copies of its workers' sockets: they outlive a worker that dies now
                Map<Integer, ListenerCopy> copies = handed != null ? handed.takeAllByPort(ipv6(at)) : Map.of();
                yield new Sockets(Listeners.natFrom(at, spec.workers(), servingPorts(), workerPorts(), copies),
                        copies.size());
            }
        };
    }

    /** Nat mode: each slot's newest ready worker's port, which the new rules send the slot's bands to at once. */
    private int[] servingPorts() {
        int[] ports = new int[spec.workers()];
        int[] generation = new int[spec.workers()];
        for (WorkerRecords.Orphan orphan : orphans) {
            WorkerRecords.WorkerRecord r = orphan.record();
            if (r.slot() >= 0 && r.slot() < ports.length && r.ready() && r.port() > 0 && r.generation() >= generation[r.slot()]) {
                ports[r.slot()] = r.port();
                generation[r.slot()] = r.generation();
            }
        }
        return ports;
    }

    private List<Integer> workerPorts() {
        return orphans.stream().map(o -> o.record().port()).filter(port -> port > 0).distinct().toList();
    }

    /** The running master's public socket: this master accepts on it, the old one forwards what it accepted. */
    private Sockets proxyOfRunningMaster(InetSocketAddress at) throws IOException {
        Optional<ListenerCopy> copy = handed.takeOnPort(saved.port(), ipv6(at));
        if (copy.isEmpty()) {
            throw refuse("the running master (pid " + saved.pid() + ") sent no socket listening on port "
                    + saved.port());
        }
        return new Sockets(Listeners.proxyFrom(copy.get(), spec, at), 1);
    }

    private static boolean ipv6(InetSocketAddress at) {
        return at.getAddress() instanceof java.net.Inet6Address;
    }

    private Sockets reusePort(InetSocketAddress at) {
        List<ListenSocket> sockets = new ArrayList<>();
        int carried = 0;
        try {
            for (int slot = 0; slot < saved.sockets().size(); slot++) {
                Optional<ListenSocket> copy = copy(saved.sockets().get(slot), at);
                if (copy.isPresent()) {
                    carried++;
                    sockets.add(copy.get());
                } else {
                    // its last holder is gone: the kernel moved the group's last socket into its place, so the
                    // new one joins last and this slot's clients may land on another slot (sticky or not)
                    log.warn("event=adopt.socket_rebound slot={} note=\"the slot's socket was closed while no master"
                            + " held it; a new one joins the group\"", slot);
                    sockets.add(ListenSocket.open(at, spec.backlog(), true));
                }
            }
            return new Sockets(Listeners.reusePortFrom(sockets, spec.sticky()), carried);
        } catch (RuntimeException e) {
            sockets.forEach(ListenSocket::close);
            throw e;
        }
    }

    /**
     * The socket with this inode: the one the running master sent, else a copy from a live worker that holds it;
     * empty when none does.
     */
    private Optional<ListenSocket> copy(long inode, InetSocketAddress expected) {
        if (handed != null) {
            OptionalInt sent = handed.take(inode);
            if (sent.isPresent()) {
                Optional<ListenSocket> socket = checked(ListenSocket.fromCopy(sent.getAsInt(),
                        "the socket the running master (pid " + saved.pid() + ") sent"), inode, expected);
                if (socket.isPresent()) {
                    return socket;
                }
            }
            log.warn("event=adopt.socket_not_sent inode={} from_pid={} note=\"copied from a worker instead\"",
                    inode, saved.pid());
        }
        for (WorkerRecords.Orphan orphan : orphans) {
            int pid = orphan.pid();
            OptionalInt fd = ProcFs.fdOfSocket(pid, Set.of(inode));
            if (fd.isEmpty()) {
                continue;
            }
            try (PidFd pidFd = PidFd.open(pid)) {
                if (ProcFs.startTime(pid).orElse(-1) != orphan.record().start()) {
                    continue; // exited meanwhile and its pid taken again
                }
                Optional<ListenSocket> socket = checked(ListenSocket.fromCopy(pidFd.copyFd(fd.getAsInt()),
                        "fd " + fd.getAsInt() + " of pid " + pid), inode, expected);
                if (socket.isPresent()) {
                    return socket;
                }
            } catch (NativeException e) {
                if ("EPERM".equals(e.errnoName())) {
                    throw refuse("cannot copy the listening socket out of pid " + pid + " ("
                            + e.getMessage() + "): adopting needs root, or the workers' user with kernel.yama.ptrace_scope 0"
                            + " or CAP_SYS_PTRACE; stop them with: " + stopCommand(orphans));
                }
                log.warn("event=adopt.copy_failed pid={} error=\"{}\"", pid, e.getMessage());
            } catch (RuntimeException e) {
                log.warn("event=adopt.copy_failed pid={} error=\"{}\"", pid, e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** The socket when it is the one recorded (inode) on the expected port; else closed and empty. */
    private static Optional<ListenSocket> checked(ListenSocket socket, long inode, InetSocketAddress expected) {
        if (socket.inode() != inode || socket.localAddress().getPort() != expected.getPort()) {
            socket.close();
            return Optional.empty();
        }
        return Optional.of(socket);
    }

    /**
     * The workers, as the supervisor takes them over. Their notify and channel socket paths are made again from the
     * state dir (never taken from a file), and a cgroup is kept only when the kernel says the worker is in it and it
     * is one of Herd's ({@code herd-PORT-PID/worker-SLOT-N}): a record cannot make this master remove a file or kill
     * a cgroup of its choosing.
     */
    List<AdoptedWorker> workers() {
        List<AdoptedWorker> workers = new ArrayList<>();
        for (WorkerRecords.Orphan orphan : orphans) {
            WorkerRecords.WorkerRecord r = orphan.record();
            Path notify = dev.herd.supervisor.Supervisor.notifySocketPath(spec.stateDir(), r.slot(), r.sequence());
            Path channel = notify.resolveSibling(r.slot() + "." + r.sequence() + ".chan");
            workers.add(new AdoptedWorker(r.slot(), r.pid(), r.start(), r.generation(), r.argv(),
                    r.env() == null ? java.util.Map.of() : r.env(), r.ready(), Instant.parse(r.spawned()), r.port(),
                    r.sequence(), notify, channel, verifiedCgroup(r.pid(), r.cgroup())));
        }
        return workers;
    }

    private static final java.util.regex.Pattern WORKER_CGROUP = java.util.regex.Pattern.compile(".*/herd-\\d+-\\d+/worker-\\d+-\\d+");

    /** The recorded cgroup when /proc/PID/cgroup puts the worker in it and it has the shape of a worker's, else null. */
    static String verifiedCgroup(int pid, String recorded) {
        if (recorded == null || !WORKER_CGROUP.matcher(recorded).matches() || recorded.contains("/../")) {
            return null;
        }
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc", Integer.toString(pid), "cgroup"))) {
                if (line.startsWith("0::/") && recorded.endsWith(line.substring(3))) {
                    return recorded;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // gone or unreadable: contained by its process group only
        }
        log.warn("event=adopt.cgroup_ignored pid={} cgroup={} note=\"not where the kernel says the worker is\"", pid, recorded);
        return null;
    }

    private static boolean sameHost(String host, InetSocketAddress address) {
        return address.getAddress().getHostAddress().equals(host);
    }

    private static StartupException refuse(String why) {
        return new StartupException(StartupException.SETUP, "cannot adopt: " + why);
    }

    /** Each worker leads its own process group (it was spawned in a session of its own), so this ends its children too. */
    static String stopCommand(List<WorkerRecords.Orphan> orphans) {
        return "kill -TERM -- " + String.join(" ", orphans.stream().map(o -> "-" + o.pid()).toList());
    }
}
