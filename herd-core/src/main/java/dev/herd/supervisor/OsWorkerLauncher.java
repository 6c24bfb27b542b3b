package dev.herd.supervisor;

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
    private static final Duration NOTIFY_POLL = Duration.ofMillis(250);

    private final ListenSocket socket;
    private final int socketFd;
    private final long socketInode;
    private final Map<Long, NotifyReader> readers = new ConcurrentHashMap<>();

    OsWorkerLauncher(ListenSocket socket, int socketFd) {
        this.socket = socket;
        this.socketFd = socketFd;
        this.socketInode = socket.inode();
    }

    @Override
    public long launch(Plan plan, Callbacks callbacks) {
        NotifySocket notify = NotifySocket.bind(plan.notifySocket());
        int pid;
        try {
            pid = Spawner.spawn(new SpawnRequest(plan.argv(), plan.env(), null, socket.fd(), socketFd, plan.logFile()));
        } catch (RuntimeException e) {
            notify.close();
            throw e;
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
        return ProcFs.holdsSocket((int) pid, socketInode);
    }

    @Override
    public boolean isAccepting(long pid) {
        return ProcFs.isAccepting((int) pid, socketInode);
    }

    @Override
    public void release(long pid) {
        NotifyReader reader = readers.remove(pid);
        if (reader != null) {
            reader.stop();
        }
    }

    /** Owns its socket: only this thread receives on it and closes it, so a close can never race a receive. */
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
}
