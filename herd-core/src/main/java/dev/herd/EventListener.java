package dev.herd;

/** Receives master events, on the supervisor thread: return quickly and never block. */
@FunctionalInterface
public interface EventListener {
    void onEvent(Event event);
}
