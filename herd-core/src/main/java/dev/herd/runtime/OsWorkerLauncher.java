package dev.herd.runtime;

import dev.herd.command.Containment;
import dev.herd.supervisor.AdoptedWorker;
import dev.herd.supervisor.WorkerLauncher;

import dev.herd.listen.Listeners;
import dev.herd.os.Cgroup;
import dev.herd.os.ListenSocket;
import dev.herd.os.NotifySocket;
import dev.herd.os.PidFd;
import dev.herd.os.ProcFs;
import dev.herd.os.Processes;
import dev.herd.os.Scheduling;
import dev.herd.os.Signal;
import dev.herd.os.SignalFd;
import dev.herd.os.SpawnRequest;
import dev.herd.os.Spawner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Real processes: posix_spawn with the cluster socket handed over; exits and notify datagrams are seen by the one
 * {@link WorkerWatch} thread started with the launcher, so launching a worker creates no platform thread and a
 * master at its thread limit keeps supervising.
 */
final class OsWorkerLauncher implements WorkerLauncher, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OsWorkerLauncher.class);
    private final Listeners listeners;
    private final int socketFd;
    private final WorkerWatch watch;
    /** The inode of the socket each live worker inherited, for the /proc checks. */
    private final Map<Long, Long> socketInodes = new ConcurrentHashMap<>();
    /** Proxy mode: the private port each live worker listens on. */
    private final Map<Long, Integer> ports = new ConcurrentHashMap<>();
    private final Map<Long, WorkerChannel> channels = new ConcurrentHashMap<>();
    /** Each live worker's notify socket (owned and closed by the watch thread). */
    private final Map<Long, NotifySocket> notifySockets = new ConcurrentHashMap<>();
    private final WorkerCgroups cgroups;
    /** The cgroup of each live worker that has one. */
    private final Map<Long, Cgroup> cgroupsByPid = new ConcurrentHashMap<>();
    private final WorkerRecords records;
    /** Every live worker's pid, launched or adopted, until its exit is reported. */
    private final java.util.Set<Long> watchedPids = ConcurrentHashMap.newKeySet();
    /** The workers are another master's now: nothing here starts, signals or kills one any more. */
    private volatile boolean handedOver;

    /** Who the workers run as, where, and what their spawn sets up. */
    private final WorkerAccount account;

    OsWorkerLauncher(Listeners listeners, int socketFd, WorkerCgroups cgroups, WorkerRecords records,
                     WorkerAccount account) {
        this.listeners = listeners;
        this.account = account;
        this.socketFd = socketFd;
        this.cgroups = cgroups;
        this.records = records;
        this.watch = new WorkerWatch().start();
    }

    @Override
    public long launch(Plan plan, Callbacks callbacks) {
        if (handedOver) {
            throw new IllegalStateException("this master handed its cluster over");
        }
        ListenSocket socket = listeners.socketFor(plan.slot());
        if (plan.logFile() != null) {
            dev.herd.logs.WorkerLogs.prepareSpool(plan.logFile());
        }
        NotifySocket notify = NotifySocket.bind(plan.notifySocket());
        WorkerChannel channel;
        try {
            channel = WorkerChannel.bind(plan.channelSocket());
        } catch (RuntimeException e) {
            notify.close();
            throw e;
        }
        Cgroup cgroup = cgroups.newWorkerCgroup(plan.slot());
        int pid;
        PidFd pidFd;
        try {
            account.handOver(plan.notifySocket());
            account.handOver(plan.channelSocket());
            pid = Spawner.spawn(new SpawnRequest(plan.argv(), plan.env(), account.directory(),
                    socket == null ? -1 : socket.fd(), socketFd, plan.logFile(),
                    cgroup == null ? null : cgroup.procsFile(), account.setup()));
        } catch (RuntimeException e) {
            abandon(notify, channel, cgroup);
            throw e;
        }
        try {
            pidFd = PidFd.open(pid);
        } catch (RuntimeException e) {
            // unwatchable (e.g. EMFILE): a worker nobody would reap or stop must not run; a failed start instead
            Processes.signalGroup(pid, Signal.KILL);
            Processes.waitFor(pid);
            abandon(notify, channel, cgroup);
            throw e;
        }
        record(pid, plan, cgroup);
        track(pid, cgroup, socket, plan.port());
        notifySockets.put((long) pid, notify);
        watch.watch(pid, pidFd, notify, callbacks);
        startChannel(pid, channel, callbacks);
        return pid;
    }

    @Override
    public boolean adopt(AdoptedWorker worker, Callbacks callbacks) {
        int pid = (int) worker.pid();
        PidFd pidFd;
        try {
            pidFd = PidFd.open(pid);
        } catch (RuntimeException e) {
            return false; // gone
        }
        // the pidfd names one process for good: checked after opening it, the start time proves it is the worker
        if (ProcFs.startTime(pid).orElse(-1) != worker.startTime()) {
            pidFd.close();
            return false;
        }
        NotifySocket notify;
        WorkerChannel channel;
        try {
            notify = NotifySocket.bind(worker.notifySocket());
        } catch (RuntimeException e) {
            pidFd.close();
            throw e;
        }
        try {
            channel = WorkerChannel.bind(worker.channelSocket());
        } catch (RuntimeException e) {
            notify.close();
            pidFd.close();
            throw e;
        }
        Cgroup cgroup;
        ListenSocket socket;
        try {
            account.handOver(worker.notifySocket());
            account.handOver(worker.channelSocket());
            cgroup = worker.cgroup() == null ? null : new Cgroup(java.nio.file.Path.of(worker.cgroup()));
            socket = listeners.socketFor(worker.slot());
        } catch (RuntimeException e) {
            channel.close();
            notify.close();
            pidFd.close();
            throw e;
        }
        records.adopted(new WorkerRecords.WorkerRecord(pid, worker.startTime(), worker.slot(), worker.generation(),
                worker.argv(), worker.env(), worker.ready(), worker.spawnedAt().toString(), worker.port(),
                worker.sequence(), worker.notifySocket().toString(), worker.channelSocket().toString(), worker.cgroup()));
        track(pid, cgroup, socket, worker.port());
        notifySockets.put((long) pid, notify);
        watch.watchAdopted(pid, pidFd, notify, callbacks);
        startChannel(pid, channel, callbacks);
        return true;
    }

    /** A worker that did not start: its sockets and cgroup go. */
    private void abandon(NotifySocket notify, WorkerChannel channel, Cgroup cgroup) {
        notify.close();
        channel.close();
        if (cgroup != null) {
            cgroups.killAndRemove(cgroup);
        }
    }

    private void record(int pid, Plan plan, Cgroup cgroup) {
        long started = ProcFs.startTime(pid).orElse(-1);
        if (started < 0) {
            return; // already gone: its exit follows and there is nothing to adopt
        }
        records.launched(new WorkerRecords.WorkerRecord(pid, started, plan.slot(), plan.generation(), plan.argv(),
                plan.deploymentEnv(), false, java.time.Instant.now().toString(), plan.port(), plan.sequence(),
                plan.notifySocket().toString(), plan.channelSocket().toString(),
                cgroup == null ? null : cgroup.dir().toString()));
    }

    /** Whether the pid is one of this master's live workers (watched until released). */
    boolean isWorker(long pid) {
        return watchedPids.contains(pid);
    }

    private void track(int pid, Cgroup cgroup, ListenSocket socket, int port) {
        watchedPids.add((long) pid);
        if (cgroup != null) {
            cgroupsByPid.put((long) pid, cgroup);
        }
        if (socket != null) {
            socketInodes.put((long) pid, socket.inode());
        } else {
            ports.put((long) pid, port);
        }
    }

    private void startChannel(int pid, WorkerChannel channel, Callbacks callbacks) {
        channels.put((long) pid, channel);
        try {
            channel.start(pid, line -> callbacks.channelLine(pid, line));
        } catch (RuntimeException | OutOfMemoryError e) {
            // the worker runs and is watched; only its channel is lost, which it sees as a refused connection
            log.warn("event=channel.unavailable pid={} error=\"{}\"", pid, e.toString());
            channels.remove((long) pid);
            channel.close();
        }
    }

    /** The master's signalfd, polled by the watch thread beside the workers (see {@link SignalBridge}). */
    void takeSignals(SignalFd signals, java.util.function.Consumer<Signal> sink) {
        watch.takeSignals(signals, sink);
    }

    @Override
    public boolean signal(long pid, Signal signal) {
        if (handedOver) {
            return false;
        }
        return Processes.signalGroup((int) pid, signal);
    }

    @Override
    public void killLeftovers(long pid) {
        if (handedOver) {
            return;
        }
        Processes.signalGroup((int) pid, Signal.KILL);
        Cgroup cgroup = cgroupsByPid.remove(pid);
        if (cgroup != null) {
            cgroups.killAndRemove(cgroup); // also what left the group with setsid()
        }
    }

    @Override
    public Containment containment() {
        return cgroups.containment();
    }

    @Override
    public String deprioritise(long pid, int nice) {
        try {
            Scheduling.deprioritise((int) pid, nice);
            return "autogroup-nice-" + nice;
        } catch (IOException e) {
            return "unchanged: " + e.getMessage();
        }
    }

    @Override
    public boolean holdsSocket(long pid) {
        // a proxied worker gets new connections only while it serves its slot: once retired it takes none
        Long inode = socketInodes.get(pid);
        return inode != null && ProcFs.holdsSocket((int) pid, inode);
    }

    @Override
    public boolean isAccepting(long pid) {
        Integer port = ports.get(pid);
        if (port != null) {
            return PortProbe.accepts(port);
        }
        Long inode = socketInodes.get(pid);
        return inode != null && ProcFs.isAccepting((int) pid, inode);
    }

    /**
     * The workers now belong to another master, which binds their notify and channel sockets again at the same
     * paths: this one's sockets close without removing what is there.
     */
    void handOver() {
        handedOver = true;
        notifySockets.values().forEach(NotifySocket::keepPathOnClose);
        for (WorkerChannel channel : channels.values()) {
            channel.keepPathOnClose();
            channel.close(); // the worker connects to the new master's channel at the same path
        }
    }

    @Override
    public void release(long pid) {
        watchedPids.remove(pid);
        notifySockets.remove(pid);
        socketInodes.remove(pid);
        ports.remove(pid);
        watch.release(pid);
        WorkerChannel channel = channels.remove(pid);
        if (channel != null) {
            channel.close();
        }
    }

    @Override
    public boolean send(long pid, String line) {
        WorkerChannel channel = channels.get(pid);
        return channel != null && channel.send(line);
    }

    @Override
    public Usage usage(long pid) {
        long rss = ProcFs.residentBytes(pid).orElse(0);
        double cpu = ProcFs.cpuTime((int) pid).map(d -> d.toNanos() / 1e9).orElse(0.0);
        return new Usage(rss, cpu);
    }

    /** The processes of the worker's cgroup where it has one (all it started), else the worker and its children. */
    @Override
    public long residentBytes(long pid) {
        Cgroup cgroup = cgroupsByPid.get(pid);
        if (cgroup != null) {
            try {
                List<Long> pids = cgroup.pids();
                if (!pids.isEmpty()) {
                    return pids.stream().mapToLong(p -> ProcFs.residentBytes(p).orElse(0)).sum();
                }
            } catch (IOException e) {
                // the cgroup is gone (the worker exited): read the process itself
            }
        }
        return ProcFs.treeResidentBytes(pid);
    }

    /** Stops the watch thread; workers still running are left alone. */
    @Override
    public void close() {
        watch.close();
    }
}
