package dev.herd.supervisor;

import dev.herd.wire.WorkerProtocol;

import dev.herd.Delegate;
import dev.herd.WorkerMessageListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The application's handlers for what workers send on their channel (library mode): delegate handlers by kind,
 * which answer asks, and message listeners. Each runs on a virtual thread of its own, never the supervisor's.
 */
public final class Delegates {
    private static final Logger log = LoggerFactory.getLogger(Delegates.class);
    public static final Delegates NONE = new Delegates(Map.of(), List.of());

    private final Map<String, Delegate> byKind;
    private final List<WorkerMessageListener> listeners;

    public Delegates(Map<String, Delegate> byKind, List<WorkerMessageListener> listeners) {
        this.byKind = Map.copyOf(byKind);
        this.listeners = List.copyOf(listeners);
    }

    /** Answers an ask through {@code send} (a line for the worker's channel): the handler's result, or why not. */
    void answer(int slot, long pid, WorkerProtocol.Ask ask, Consumer<String> send) {
        Delegate handler = byKind.get(ask.kind());
        if (handler == null) {
            send.accept(WorkerProtocol.answer(ask.id(), false, "no delegate handler for '" + ask.kind()
                    + "' in the master; handlers: " + byKind.keySet()));
            return;
        }
        Consumer<String> notify = payload -> send.accept(WorkerProtocol.line("notify", "kind", ask.kind(), "payload", payload));
        Thread.ofVirtual().name("herd-delegate-" + ask.kind()).start(() -> {
            String reply;
            try {
                reply = WorkerProtocol.answer(ask.id(), true, handler.answer(slot, ask.payload(), notify));
            } catch (Exception e) {
                log.warn("event=delegate.failed kind={} slot={} pid={} error=\"{}\"", ask.kind(), slot, pid, e.toString());
                reply = WorkerProtocol.answer(ask.id(), false, ask.kind() + " failed in the master: " + e.getMessage());
            }
            send.accept(reply);
        });
    }

    void deliver(int slot, long pid, String payload) {
        for (WorkerMessageListener listener : listeners) {
            Thread.ofVirtual().name("herd-message").start(() -> {
                try {
                    listener.onMessage(slot, pid, payload);
                } catch (RuntimeException e) {
                    log.warn("event=message_listener.failed slot={} error=\"{}\"", slot, e.toString());
                }
            });
        }
    }
}
