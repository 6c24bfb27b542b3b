package dev.herd.control;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counts HTTP API requests by route and status, for {@code /metrics}. */
final class ApiStats {
    record Key(String route, int status) {
    }

    private final Map<Key, LongAdder> counts = new ConcurrentHashMap<>();

    void record(String route, int status) {
        counts.computeIfAbsent(new Key(route, status), k -> new LongAdder()).increment();
    }

    /** A consistent-enough copy, ordered by route then status. */
    Map<Key, Long> snapshot() {
        Map<Key, Long> copy = new TreeMap<>((a, b) -> a.route().equals(b.route())
                ? Integer.compare(a.status(), b.status()) : a.route().compareTo(b.route()));
        counts.forEach((key, count) -> copy.put(key, count.sum()));
        return copy;
    }
}
