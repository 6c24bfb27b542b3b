package dev.herd.supervisor;

import dev.herd.Event;
import dev.herd.ReadyWhen;
import dev.herd.logs.Logfmt;
import dev.herd.wire.NotifyMessage;
import dev.herd.wire.WorkerProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What workers tell the master: notify datagrams and channel lines (the same lifecycle messages on either),
 * counters, and the application's asks and notes, which go to its delegates off the loop.
 */
final class WorkerMessages {
    private static final Logger log = LoggerFactory.getLogger(WorkerMessages.class);

    private final LoopContext loop;
    private final Pool pool;
    private final WorkerStarter starter;
    private final Watchdog watchdog;
    private Delegates delegates = Delegates.NONE;

    WorkerMessages(LoopContext loop, Pool pool, WorkerStarter starter, Watchdog watchdog) {
        this.loop = loop;
        this.pool = pool;
        this.starter = starter;
        this.watchdog = watchdog;
    }

    void delegates(Delegates delegates) {
        this.delegates = delegates;
    }

    void onNotify(long pid, NotifyMessage message) {
        WorkerProcess worker = pool.worker(pid);
        if (worker == null) {
            return;
        }
        if (message.heartbeat()) {
            watchdog.heartbeat(worker);
        }
        if (worker.statusChanged(message.status())) {
            loop.emit(new Event.WorkerStatus(loop.instant(), worker.slot(), pid, worker.status()));
        }
        if (message.ready() && loop.spec().readyWhen() == ReadyWhen.NOTIFY) {
            starter.markReady(worker);
        }
        if (message.stopping() && worker.announcedStopping()) {
            loop.emit(new Event.WorkerStopping(loop.instant(), worker.slot(), pid));
        }
    }

    /** A line on a worker's channel: its lifecycle messages act as their notify counterparts. */
    void onChannelLine(long pid, String line) {
        WorkerProcess worker = pool.worker(pid);
        if (worker == null) {
            return;
        }
        WorkerProtocol.Message message;
        try {
            message = WorkerProtocol.read(line);
        } catch (IllegalArgumentException e) {
            int badLines = worker.badLine();
            // the first ones, then every 1000th: a worker spewing garbage must not flood the master's log
            if (badLines <= 10 || badLines % 1000 == 0) {
                log.warn("event=worker.bad_message slot={} pid={} count={} error={}", worker.slot(), pid,
                        badLines, Logfmt.value(e.getMessage()));
            }
            return;
        }
        switch (message) {
            case WorkerProtocol.Lifecycle lifecycle -> onNotify(pid, lifecycle.signal());
            case WorkerProtocol.Counters counters -> worker.counters(counters.connections(), counters.requests());
            case WorkerProtocol.Overload overload -> worker.overloaded(overload.overloaded(), loop.now());
            case WorkerProtocol.Ask ask -> delegates.answer(worker.slot(), pid, ask,
                    reply -> loop.launcher().send(pid, reply));
            case WorkerProtocol.Note note -> delegates.deliver(worker.slot(), pid, note.payload());
        }
    }
}
