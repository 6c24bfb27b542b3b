package dev.herd.runtime;

import dev.herd.logs.Logfmt;

import dev.herd.Event;
import dev.herd.EventListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes every master event as one structured (logfmt) line to the {@code herd.events} logger. */
final class EventLog implements EventListener {
    private static final Logger log = LoggerFactory.getLogger("herd.events");

    @Override
    public void onEvent(Event event) {
        String line = Logfmt.line(event.name(), event.fields());
        switch (event) {
            case Event.SlotFailed ignored -> log.error(line);
            case Event.LogsFailing ignored -> log.warn(line);
            case Event.WorkerBoundOwnPort ignored -> log.warn(line);
            case Event.WorkerExited exited when exited.reason() != Event.ExitReason.STOPPED -> log.warn(line);
            default -> log.info(line);
        }
    }
}
