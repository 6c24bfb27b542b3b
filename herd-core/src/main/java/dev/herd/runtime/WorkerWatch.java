package dev.herd.runtime;

import dev.herd.supervisor.WorkerLauncher;

import dev.herd.os.EventFd;
import dev.herd.os.ExitStatus;
import dev.herd.os.NotifySocket;
import dev.herd.os.PidFd;
import dev.herd.os.Poller;
import dev.herd.os.Processes;
import dev.herd.os.Signal;
import dev.herd.os.SignalFd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * Watches every worker from one platform thread started with the master: poll(2) over each worker's pidfd (an
 * exit: reap it with waitpid and report it) and notify socket (a datagram: report it), plus an eventfd that wakes
 * it for additions and releases. Nothing here creates a thread per worker, so a master at its process or thread
 * limit still sees every exit. Only this thread reaps, receives and closes what it watches: no close can race a
 * poll on a reused descriptor number.
 *
 * <p>The master's signalfd, when it has one ({@link SignalBridge}), is one more descriptor of the same poll: a
 * pending signal is read here and handed to its sink, so taking a signal needs no thread of its own and no new
 * thread at all (SIGTERM still stops a master whose user is at its process limit).
 */
final class WorkerWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkerWatch.class);

    private final EventFd wake;
    private final ConcurrentLinkedQueue<Runnable> changes = new ConcurrentLinkedQueue<>();
    /** Owned by the watch thread. */
    private final Map<Long, Watched> watched = new LinkedHashMap<>();
    /** Owned by the watch thread; null without a signalfd, or once reading it failed. */
    private SignalFd signals;
    private Consumer<Signal> signalSink;
    private final Thread thread;
    private volatile boolean closed;

    private static final class Watched {
        final long pid;
        final WorkerLauncher.Callbacks callbacks;
        /** Not this process's child (an earlier master's worker): its end is seen, its status cannot be had. */
        final boolean adopted;
        PidFd pidFd; // null once the worker was reaped
        NotifySocket notify; // null once released

        Watched(long pid, PidFd pidFd, NotifySocket notify, WorkerLauncher.Callbacks callbacks, boolean adopted) {
            this.pid = pid;
            this.pidFd = pidFd;
            this.notify = notify;
            this.callbacks = callbacks;
            this.adopted = adopted;
        }
    }

    WorkerWatch() {
        this.wake = EventFd.open();
        this.thread = Thread.ofPlatform().daemon().name("herd-watch").unstarted(this::loop);
    }

    WorkerWatch start() {
        thread.start();
        return this;
    }

    /** Watches a spawned worker from now on; takes ownership of its pidfd and notify socket. Any thread. */
    void watch(long pid, PidFd pidFd, NotifySocket notify, WorkerLauncher.Callbacks callbacks) {
        change(() -> watched.put(pid, new Watched(pid, pidFd, notify, callbacks, false)));
    }

    /**
     * Watches a worker an earlier master spawned: the same, except that its exit is reported with an unknown status
     * (only its parent can wait for it). Any thread.
     */
    void watchAdopted(long pid, PidFd pidFd, NotifySocket notify, WorkerLauncher.Callbacks callbacks) {
        change(() -> watched.put(pid, new Watched(pid, pidFd, notify, callbacks, true)));
    }

    /** Stops reading the worker's notify socket and closes it (the worker has exited). Any thread. */
    void release(long pid) {
        change(() -> {
            Watched worker = watched.get(pid);
            if (worker != null) {
                closeNotify(worker);
                if (worker.pidFd == null) {
                    watched.remove(pid);
                }
            }
        });
    }

    /**
     * Reads the master's signals from this signalfd from now on and hands each to the sink (which must only post
     * it: it runs on the watch thread); takes ownership of the descriptor. Any thread. Signals that arrived before
     * stay pending until then.
     */
    void takeSignals(SignalFd fd, Consumer<Signal> sink) {
        change(() -> {
            if (signals != null) {
                signals.close();
            }
            signals = fd;
            signalSink = sink;
        });
    }

    private void change(Runnable change) {
        changes.add(change);
        wake.signal();
    }

    private void loop() {
        while (!closed) {
            try {
                round();
            } catch (RuntimeException e) {
                // a poll that fails (e.g. ENOMEM) must not end the watch: every exit would go unseen
                log.error("event=watch.error error=\"{}\"", e.getMessage());
                sleepAfterError();
            }
        }
        // the master is stopping: its descriptors go, the workers (if any are left) are not touched
        for (Watched worker : watched.values()) {
            closeNotify(worker);
            if (worker.pidFd != null) {
                worker.pidFd.close();
            }
        }
        watched.clear();
        if (signals != null) {
            signals.close(); // the signals stay blocked: from now on they wait, unread, for the master's exit
            signals = null;
        }
        wake.close();
    }

    private void round() {
        Runnable change;
        while ((change = changes.poll()) != null) {
            change.run();
        }
        List<Watched> owners = new ArrayList<>();
        List<Integer> fds = new ArrayList<>();
        fds.add(wake.fd());
        owners.add(null);
        SignalFd signalFd = signals;
        if (signalFd != null) {
            fds.add(signalFd.fd());
            owners.add(null);
        }
        for (Watched worker : watched.values()) {
            if (worker.pidFd != null) {
                fds.add(worker.pidFd.fd());
                owners.add(worker);
            }
            if (worker.notify != null) {
                fds.add(worker.notify.fd());
                owners.add(worker);
            }
        }
        int[] array = fds.stream().mapToInt(Integer::intValue).toArray();
        boolean[] ready = Poller.awaitReadable(array, -1);
        if (ready[0]) {
            wake.drain();
        }
        int first = 1;
        if (signalFd != null) {
            if (ready[1]) {
                readSignals();
            }
            first = 2;
        }
        for (int i = first; i < array.length; i++) {
            if (!ready[i]) {
                continue;
            }
            Watched worker = owners.get(i);
            try {
                if (worker.pidFd != null && array[i] == worker.pidFd.fd()) {
                    reap(worker);
                } else if (worker.notify != null && array[i] == worker.notify.fd()) {
                    receive(worker);
                }
            } catch (RuntimeException e) {
                log.warn("event=watch.worker_error pid={} error=\"{}\"", worker.pid, e.getMessage());
            }
        }
    }

    /** Every pending signal to the sink; a signalfd that cannot be read would fail every round, so it is dropped. */
    private void readSignals() {
        try {
            Optional<Signal> signal;
            while (signals != null && (signal = signals.poll()).isPresent()) {
                try {
                    signalSink.accept(signal.get());
                } catch (RuntimeException e) {
                    log.error("event=signal.error signal={} error=\"{}\"", signal.get().name(), e.getMessage());
                }
            }
        } catch (RuntimeException e) {
            log.error("event=signal.error error=\"{}\"", e.getMessage());
            try {
                signals.close();
            } catch (RuntimeException closeFailed) {
                // no longer read either way
            }
            signals = null;
        }
    }

    private void reap(Watched worker) {
        // an adopted worker's pidfd is readable once it has exited; its parent (init) reaps it
        Optional<ExitStatus> status = worker.adopted ? Optional.of(ExitStatus.unknown()) : waitFor(worker.pid);
        if (status.isEmpty()) {
            return; // a pidfd is readable only once the process exited; be safe against spurious wake-ups
        }
        worker.pidFd.close();
        worker.pidFd = null;
        if (worker.notify == null) {
            watched.remove(worker.pid);
        }
        worker.callbacks.exited(worker.pid, status.get());
    }

    private static Optional<ExitStatus> waitFor(long pid) {
        try {
            return Processes.poll((int) pid);
        } catch (RuntimeException e) {
            // e.g. ECHILD: reaped elsewhere, so its status is lost; still an exit, and its pidfd would stay readable
            log.error("event=watch.reap_failed pid={} error=\"{}\" reported=\"exit code 255\"", pid, e.getMessage());
            return Optional.of(new ExitStatus(255, 0));
        }
    }

    private void receive(Watched worker) {
        try {
            worker.notify.receive(Duration.ZERO).ifPresent(datagram -> worker.callbacks.notified(worker.pid, datagram));
        } catch (RuntimeException e) {
            // a socket that fails once would fail on every round: stop reading it, as a worker's reader always did
            log.warn("event=notify.error pid={} error=\"{}\"", worker.pid, e.getMessage());
            closeNotify(worker);
        }
    }

    private void closeNotify(Watched worker) {
        if (worker.notify != null) {
            try {
                worker.notify.close();
            } catch (RuntimeException e) {
                log.warn("event=notify.close_failed pid={} error=\"{}\"", worker.pid, e.getMessage());
            }
            worker.notify = null;
        }
    }

    private static void sleepAfterError() {
        try {
            Thread.sleep(100); // not synchronisation: keeps a persistent poll failure from spinning a core
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops watching; workers still running are left alone (they outlive the master by design). */
    @Override
    public void close() {
        closed = true;
        wake.signal();
    }
}
