package dev.herd.control;

import dev.herd.Event;
import dev.herd.EventListener;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * The master's events as a stream for operators: the last {@link #KEEP} kept (for {@code herd events} and for a
 * client that reconnects with the last id it saw), and each new one handed to every live subscriber (the SSE
 * stream, {@code herd events -f}). A subscriber that falls {@link #QUEUE} events behind is cut off with a note,
 * never slowing the supervisor; reconnecting from its last id fills the gap while the events are still kept.
 */
public final class EventHub implements EventListener {
    static final int KEEP = 1000;
    static final int QUEUE = 10_000;

    /** One event with its sequence number (from 1). */
    public record Entry(long id, Event event) {
        public String name() {
            return event.name();
        }

        /**
         * {@code {"id","at","event",...fields}}: numbers and booleans as they are, anything else (durations, paths)
         * as its text.
         */
        public Map<String, Object> toMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("id", id);
            map.put("at", event.at().toString());
            map.put("event", event.name());
            event.fields().forEach((key, value) -> map.put(key, switch (value) {
                case null -> null;
                case Integer i -> i;
                case Long l -> l;
                case Double d -> d;
                case Boolean b -> b;
                default -> String.valueOf(value);
            }));
            return map;
        }

        public String json() {
            return ControlJson.write(toMap());
        }
    }

    private final Deque<Entry> recent = new ArrayDeque<>();
    private final Set<dev.herd.logs.LiveFeed<Entry>> subscribers = new CopyOnWriteArraySet<>();
    private long nextId = 1;
    private boolean closed;

    @Override
    public void onEvent(Event event) {
        synchronized (this) {
            Entry entry = new Entry(nextId++, event);
            recent.addLast(entry);
            if (recent.size() > KEEP) {
                recent.removeFirst();
            }
            subscribers.forEach(s -> s.offer(entry));
        }
    }

    /** The last {@code count} events kept, oldest first. */
    public synchronized List<Entry> recent(int count) {
        List<Entry> all = new ArrayList<>(recent);
        return all.subList(Math.max(0, all.size() - count), all.size());
    }

    /**
     * Subscribes to events after {@code afterId} (0: only new ones): kept events after it come first, then live
     * ones. {@link Subscription#gap()} says whether some after it were no longer kept.
     */
    public synchronized Subscription subscribe(long afterId) {
        Subscription subscription = new Subscription(this);
        if (afterId > 0) {
            long oldest = recent.isEmpty() ? nextId : recent.getFirst().id();
            subscription.gap = afterId + 1 < oldest;
            recent.stream().filter(e -> e.id() > afterId).forEach(subscription::offer);
        }
        if (closed) {
            subscription.end();
        } else {
            subscribers.add(subscription);
        }
        return subscription;
    }

    /** The master is stopping: every stream ends after what it has. */
    public synchronized void close() {
        closed = true;
        subscribers.forEach(dev.herd.logs.LiveFeed::end);
        subscribers.clear();
    }

    /** A live feed of events; close it when the reader goes away. */
    public static final class Subscription extends dev.herd.logs.LiveFeed<Entry> {
        private static final Entry END = new Entry(-1, null);
        private static final Entry WAKE = new Entry(-2, null);
        private boolean gap;

        private Subscription(EventHub hub) {
            super(END, hub.subscribers, QUEUE);
        }

        /**
         * Hands the reader a marker for which {@link #isWake} holds, in line with the events: how something other
         * than an event (new samples) gets a reader waiting on the feed to act. Never blocks.
         */
        public void wake() {
            offer(WAKE);
        }

        public boolean isWake(Entry entry) {
            return entry == WAKE;
        }

        /** Whether events after the requested id had already been dropped from the kept ones. */
        public boolean gap() {
            return gap;
        }
    }
}
