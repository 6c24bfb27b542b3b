package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 4, must-shows 1-3: --mode reuseport --sticky. Clients connect from 16 distinct loopback source
 * addresses (127.0.0.10-25); an in-kernel BPF program picks the slot from the source address.
 */
class StickySessionsTest {
    static final List<String> SOURCES = IntStream.range(10, 26).mapToObj(i -> "127.0.0." + i).toList();

    private static Herd startSticky(Path dir, String... extra) {
        List<String> args = new java.util.ArrayList<>(Herd.runArgs(dir, "--workers", "4", "--mode", "reuseport", "--sticky"));
        args.addAll(List.of(extra));
        return Herd.start(dir, args);
    }

    private static Http.Response get(int port, String source) {
        try (Http http = new Http("127.0.0.1", port, source)) {
            Http.Response response = http.request("/", false);
            assertThat(response.status()).isEqualTo(200);
            return response;
        } catch (IOException e) {
            throw new AssertionError("request from " + source + " failed", e);
        }
    }

    /** Which slot each source reaches now, checked to be the same over {@code rounds} new connections. */
    private static Map<String, Integer> slotsBySource(int port, int rounds) {
        Map<String, Integer> slots = new HashMap<>();
        for (String source : SOURCES) {
            Set<Integer> seen = new HashSet<>();
            for (int i = 0; i < rounds; i++) {
                seen.add(get(port, source).slot());
            }
            assertThat(seen).as("slots reached from " + source).hasSize(1);
            slots.put(source, seen.iterator().next());
        }
        return slots;
    }

    /** Waits until a sticky program newer than the first {@code after} ones steers to the slots the check accepts. */
    private static void awaitSticky(Herd herd, int after, java.util.function.Predicate<List<String>> check) {
        org.awaitility.Awaitility.await("sticky program update").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(20)).until(() -> {
                    List<LogEvent> updates = herd.events("sticky.updated");
                    return updates.size() > after
                            && check.test(List.of(updates.getLast().get("slots_serving").split(",")));
                });
    }

    @Test
    void everySourceAlwaysReachesTheSameWorkerAndSourcesSpreadOverAllSlots() {
        Path dir = Herd.newDir();
        try (Herd herd = startSticky(dir)) {
            int port = herd.awaitPort();
            herd.awaitReady(4, Duration.ofSeconds(60));
            // a worker is ready (its event) a moment before the sticky program is rebuilt with its slot serving
            awaitSticky(herd, 0, serving -> serving.equals(List.of("0", "1", "2", "3")));
            Map<String, Set<Long>> pids = new HashMap<>();
            Map<String, Integer> slots = new HashMap<>();
            for (String source : SOURCES) {
                for (int i = 0; i < 50; i++) {
                    Http.Response response = get(port, source);
                    pids.computeIfAbsent(source, s -> new HashSet<>()).add(response.pid());
                    slots.put(source, response.slot());
                }
            }
            System.out.println("[sticky] source -> slot: " + new java.util.TreeMap<>(slots));
            assertThat(pids.values()).allSatisfy(set -> assertThat(set).hasSize(1));
            assertThat(new HashSet<>(slots.values())).containsExactlyInAnyOrder(0, 1, 2, 3);
        }
    }

    @Test
    void aCrashedSlotsClientsAreServedElsewhereThenReturnWhileOthersNeverMove() {
        Path dir = Herd.newDir();
        try (Herd herd = startSticky(dir, "--restart-delay", "2s")) {
            int port = herd.awaitPort();
            herd.awaitReady(4, Duration.ofSeconds(60));
            // a worker is ready (its event) a moment before the sticky program is rebuilt with its slot serving
            awaitSticky(herd, 0, serving -> serving.equals(List.of("0", "1", "2", "3")));
            Map<String, Integer> before = slotsBySource(port, 3);
            int victimSlot = before.get(SOURCES.getFirst());
            long victim = get(port, SOURCES.getFirst()).pid();

            int updatesBefore = herd.events("sticky.updated").size();
            Shell.run("kill", "-9", Long.toString(victim));
            awaitSticky(herd, updatesBefore, serving -> !serving.contains(Integer.toString(victimSlot)));
            // the slot is empty for at least the 2 s restart delay: its clients must be served by the others
            for (String source : SOURCES) {
                Http.Response response = get(port, source);
                if (before.get(source) == victimSlot) {
                    assertThat(response.slot()).as(source + " while its slot is down").isNotEqualTo(victimSlot);
                } else {
                    assertThat(response.slot()).as(source + " (not on the crashed slot)").isEqualTo(before.get(source));
                }
            }
            assertThat(herd.events("worker.ready").stream().filter(e -> e.intField("slot") == victimSlot)).hasSize(1);

            herd.awaitEvent(e -> e.is("worker.ready", "slot", Integer.toString(victimSlot)) && e.pid() != victim,
                    Duration.ofSeconds(30), "replacement of slot " + victimSlot);
            awaitSticky(herd, updatesBefore + 1, serving -> serving.equals(List.of("0", "1", "2", "3")));
            assertThat(slotsBySource(port, 3)).isEqualTo(before);
        }
    }

    @Test
    void everyClientKeepsItsSlotAcrossAReload() {
        Path dir = Herd.newDir();
        try (Herd herd = startSticky(dir)) {
            int port = herd.awaitPort();
            herd.awaitReady(4, Duration.ofSeconds(60));
            // a worker is ready (its event) a moment before the sticky program is rebuilt with its slot serving
            awaitSticky(herd, 0, serving -> serving.equals(List.of("0", "1", "2", "3")));
            Map<String, Integer> before = slotsBySource(port, 2);
            Shell.Result reload = herd.cli("reload");
            assertThat(reload.code()).as(reload.output()).isZero();
            Map<String, Integer> after = slotsBySource(port, 2);
            assertThat(after).isEqualTo(before);
            for (String source : SOURCES) {
                assertThat(get(port, source).generation()).isEqualTo(2);
            }
        }
    }
}
