package dev.herd.supervisor;

import dev.herd.listen.Listeners;
import dev.herd.os.Cgroup;
import dev.herd.os.ListenSocket;
import dev.herd.os.NotifySocket;
import dev.herd.os.ProcFs;
import dev.herd.os.Processes;
import dev.herd.os.Scheduling;
import dev.herd.os.Signal;
import dev.herd.os.SpawnRequest;
import dev.herd.os.Spawner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Real processes: posix_spawn with the cluster socket handed over, one platform thread per worker blocked in
 * waitpid (it sees an exit in under a millisecond and reaps it), and one per worker reading its notify socket.
 * Platform threads because blocking native calls would pin a virtual thread's carrier.
 */
final class OsWorkerLauncher implements WorkerLauncher {
    private static final Logger log = LoggerFactory.getLogger(OsWorkerLauncher.class);
    /** Only a safety net: {@link NotifyReader#stop} wakes a blocked receive at once, so an idle reader costs nothing. */
    private static final Duration NOTIFY_POLL = Duration.ofMinutes(1);

    private final Listeners listeners;
    private final int socketFd;
    /** The inode of the socket each live worker inherited, for the /proc checks. */
    private final Map<Long, Long> socketInodes = new ConcurrentHashMap<>();
    /** Proxy mode: the private port each live worker listens on. */
    private final Map<Long, Integer> ports = new ConcurrentHashMap<>();
    private final Map<Long, NotifyReader> readers = new ConcurrentHashMap<>();
    private final Map<Long, WorkerChannel> channels = new ConcurrentHashMap<>();
    private final WorkerCgroups cgroups;
    /** The cgroup of each live worker that has one. */
    private final Map<Long, Cgroup> cgroupsByPid = new ConcurrentHashMap<>();

    OsWorkerLauncher(Listeners listeners, int socketFd, WorkerCgroups cgroups) {
        this.listeners = listeners;
        this.socketFd = socketFd;
        this.cgroups = cgroups;
    }

    @Override
    public long launch(Plan plan, Callbacks callbacks) {
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
        try {
            pid = Spawner.spawn(new SpawnRequest(plan.argv(), plan.env(), null, socket == null ? -1 : socket.fd(),
                    socketFd, plan.logFile(), cgroup == null ? null : cgroup.procsFile()));
        } catch (RuntimeException e) {
            notify.close();
            channel.close();
            if (cgroup != null) {
                cgroups.killAndRemove(cgroup);
            }
            throw e;
        }
        if (cgroup != null) {
            cgroupsByPid.put((long) pid, cgroup);
        }
        channels.put((long) pid, channel);
        channel.start(pid, line -> callbacks.channelLine(pid, line));
        if (socket != null) {
            socketInodes.put((long) pid, socket.inode());
        } else {
            ports.put((long) pid, plan.port());
        }
        NotifyReader reader = new NotifyReader(pid, notify, callbacks);
        readers.put((long) pid, reader);
        Thread.ofPlatform().daemon().name("herd-notify-" + pid).start(reader);
        Thread.ofPlatform().daemon().name("herd-wait-" + pid).start(() -> callbacks.exited(pid, Processes.waitFor(pid)));
        return pid;
    }

    @Override
    public boolean signal(long pid, Signal signal) {
        return Processes.signalGroup((int) pid, signal);
    }

    @Override
    public void killLeftovers(long pid) {
        Processes.signalGroup((int) pid, Signal.KILL);
        Cgroup cgroup = cgroupsByPid.remove(pid);
        if (cgroup != null) {
            cgroups.killAndRemove(cgroup); // also what left the group with setsid()
        }
    }

    @Override
    public WorkerCgroups.Containment containment() {
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

    @Override
    public void release(long pid) {
        socketInodes.remove(pid);
        ports.remove(pid);
        NotifyReader reader = readers.remove(pid);
        if (reader != null) {
            reader.stop();
        }
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

    /**
     * Receives on its socket until stopped. Only this thread receives; {@link #stop} closes the socket, which wakes
     * the receive (NotifySocket's close shuts it down first and waits for the receive to leave).
     */
    private static final class NotifyReader implements Runnable {
        private final long pid;
        private final NotifySocket socket;
        private final Callbacks callbacks;
        private volatile boolean stopped;

        NotifyReader(long pid, NotifySocket socket, Callbacks callbacks) {
            this.pid = pid;
            this.socket = socket;
            this.callbacks = callbacks;
        }

        void stop() {
            stopped = true;
            try {
                socket.close();
            } catch (RuntimeException e) {
                log.warn("event=notify.close_failed pid={} error=\"{}\"", pid, e.getMessage());
            }
        }

        @Override
        public void run() {
            try {
                while (!stopped) {
                    socket.receive(NOTIFY_POLL).ifPresent(datagram -> callbacks.notified(pid, datagram));
                }
            } catch (RuntimeException e) {
                log.warn("event=notify.error pid={} error=\"{}\"", pid, e.getMessage());
            } finally {
                socket.close();
            }
        }
    }

    @Override
    public Usage usage(long pid) {
        long rss = ProcFs.rssBytes((int) pid).orElse(0);
        double cpu = ProcFs.cpuTime((int) pid).map(d -> d.toNanos() / 1e9).orElse(0.0);
        return new Usage(rss, cpu);
    }
}
