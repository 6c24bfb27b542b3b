package dev.herd.tests;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Issue 4, must-show 5: --mode nat. The master runs in a network namespace made by the test; clients connect from
 * the test's own namespace over a veth pair, from 16 source addresses (10.213.77.10-25), whose last bytes are
 * their bands: band b's home slot is b mod 4.
 */
class NatModeTest {
    static final List<Integer> HOSTS = IntStream.range(10, 26).boxed().toList();
    static final int PORT = 8080; // the namespace is the test's own: nothing else listens there
    static final int WORKERS = 4;
    private static final Pattern ELEMENT_PORT = Pattern.compile("\\b(\\d{4,5})\\b");

    private NetNamespace ns;

    @BeforeEach
    void createNamespace() {
        ns = NetNamespace.create(HOSTS);
    }

    @AfterEach
    void deleteNamespace() {
        if (ns != null) {
            ns.close();
        }
    }

    private Herd startNat(Path dir, String... extra) {
        List<String> args = new ArrayList<>(List.of("run", "--port", Integer.toString(PORT), "--workers",
                Integer.toString(WORKERS), "--mode", "nat", "--state-dir", dir.resolve("state").toString()));
        args.addAll(List.of(extra));
        return Herd.start(dir, ns.prefix(), args, Map.of());
    }

    private static String source(int host) {
        return NetNamespace.SUBNET + "." + host;
    }

    private static Http.Response get(int host) {
        try (Http http = new Http(NetNamespace.SERVER, PORT, source(host))) {
            Http.Response response = http.request("/", false);
            assertThat(response.status()).isEqualTo(200);
            return response;
        } catch (IOException e) {
            throw new AssertionError("request from " + source(host) + " failed", e);
        }
    }

    /** Which slot each source reaches now, checked to be the same over {@code rounds} new connections. */
    private static Map<Integer, Integer> slotsByHost(int rounds) {
        Map<Integer, Integer> slots = new TreeMap<>();
        for (int host : HOSTS) {
            Set<Integer> seen = new HashSet<>();
            for (int i = 0; i < rounds; i++) {
                seen.add(get(host).slot());
            }
            assertThat(seen).as("slots reached from " + source(host)).hasSize(1);
            slots.put(host, seen.iterator().next());
        }
        return slots;
    }

    /** Waits until a steering update newer than the first {@code after} ones leaves exactly these slots serving. */
    private static void awaitSteered(Herd herd, int after, Set<Integer> servingSlots) {
        org.awaitility.Awaitility.await("nat steering of slots " + servingSlots).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(20)).until(() -> {
                    List<LogEvent> updates = herd.events("nat.steered");
                    if (updates.size() <= after) {
                        return false;
                    }
                    Set<Integer> serving = new HashSet<>();
                    for (String slot : updates.getLast().get("serving_slots").split(",")) {
                        if (!slot.equals("none")) {
                            serving.add(Integer.parseInt(slot));
                        }
                    }
                    return serving.equals(servingSlots);
                });
    }

    private static Set<Integer> allSlots() {
        return new HashSet<>(IntStream.range(0, WORKERS).boxed().toList());
    }

    /**
     * Issue 16 in nat mode: two takeovers by a new master, then a SIGKILL of the master and an adoption by the next
     * one 2 s later, all under {@code wrk -t2 -c32}: the rules are replaced in one transaction that keeps every band
     * on its slot's worker, so nothing is refused or lost, and no worker restarts.
     */
    @Test
    void takeoversAndAnAdoptionUnderLoadLoseNothingAndKeepEachBandOnItsSlot() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(List.of("run", "--port", Integer.toString(PORT), "--workers",
                Integer.toString(WORKERS), "--mode", "nat", "--state-dir", dir.resolve("state").toString()));
        List<String> takeover = new ArrayList<>(args);
        takeover.add(1, "--takeover");
        List<Herd> masters = new ArrayList<>();
        try {
            Herd first = Herd.start(dir, ns.prefix(), args, Map.of());
            masters.add(first);
            first.awaitPort();
            List<Long> pids = first.awaitReady(WORKERS, Duration.ofSeconds(60));
            awaitSteered(first, 0, allSlots());
            Map<Integer, Integer> before = slotsByHost(2);
            Wrk.Result result;
            try (Wrk wrk = Wrk.startAt(NetNamespace.SERVER, PORT, 2, 32, Duration.ofSeconds(300), dir)) {
                wrk.awaitRunning();
                for (int i = 0; i < 2; i++) {
                    Herd old = masters.getLast();
                    Herd next = Herd.start(Herd.newDir(), ns.prefix(), takeover, Map.of());
                    masters.add(next);
                    LogEvent event = next.awaitEvent(e -> e.name().equals("master.takeover"), Duration.ofSeconds(60),
                            "master.takeover");
                    assertThat(event.get("kind")).isEqualTo("handover");
                    assertThat(old.awaitExit(Duration.ofSeconds(60))).isZero();
                    assertThat(old.events("nat.kept")).as("the old master left the rules to the new one").hasSize(1);
                }
                masters.getLast().signal("KILL");
                masters.getLast().awaitExit(Duration.ofSeconds(10));
                long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                await("two seconds without a master").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                        .until(() -> get(HOSTS.getFirst()).status() == 200 && System.nanoTime() >= until);
                Herd adopting = Herd.start(Herd.newDir(), ns.prefix(), args, Map.of());
                masters.add(adopting);
                LogEvent event = adopting.awaitEvent(e -> e.name().equals("master.takeover"), Duration.ofSeconds(60),
                        "master.takeover");
                assertThat(event.get("kind")).isEqualTo("adoption");
                assertThat(adopting.events("worker.adopted")).extracting(LogEvent::pid)
                        .containsExactlyInAnyOrderElementsOf(pids);
                assertThat(slotsByHost(2)).as("every band on its slot across the takeovers").isEqualTo(before);
                result = wrk.stop();
            }
            System.out.println("[nat takeover] 2 takeovers, a master SIGKILL and an adoption, wrk -t2 -c32: " + result);
            assertThat(result.requests()).isPositive();
            assertThat(result.socketErrors()).as("socket errors\n" + result.output()).isZero();
            assertThat(result.non2xx()).as("non-2xx\n" + result.output()).isZero();
            Herd last = masters.getLast();
            assertThat(last.events("worker.forked")).as("no worker restarted").isEmpty();
            last.signal("TERM");
            assertThat(last.awaitExit(Duration.ofSeconds(60))).isZero();
            assertThat(ns.run("nft", "list", "tables").output()).as("the last master removed the rules")
                    .doesNotContain("herd_");
        } finally {
            masters.forEach(Herd::close);
        }
    }

    @Test
    void eachSourceIsRedirectedToTheSlotOfItsBandAndTheRulesGoAwayOnExit() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = startNat(dir)) {
            herd.awaitPort();
            herd.awaitReady(WORKERS, Duration.ofSeconds(60));
            awaitSteered(herd, 0, allSlots());
            Map<Integer, Set<Long>> pids = new HashMap<>();
            Map<Integer, Integer> slots = new TreeMap<>();
            for (int host : HOSTS) {
                for (int i = 0; i < 50; i++) {
                    Http.Response response = get(host);
                    pids.computeIfAbsent(host, h -> new HashSet<>()).add(response.pid());
                    slots.put(host, response.slot());
                }
            }
            System.out.println("[nat] source host byte -> slot: " + slots);
            assertThat(pids.values()).allSatisfy(set -> assertThat(set).hasSize(1));
            slots.forEach((host, slot) -> assertThat(slot).as("slot of band " + host).isEqualTo(host % WORKERS));

            Shell.Result table = ns.run("nft", "list", "table", "inet", "herd_" + PORT);
            assertThat(table.code()).as(table.output()).isZero();
            assertThat(table.output()).contains("redirect to", "bands4");
            // the workers listen on every address, but their private ports are closed to anyone not redirected
            Shell.Result guarded = ns.run("nft", "list", "set", "inet", "herd_" + PORT, "guarded");
            Matcher port = ELEMENT_PORT.matcher(guarded.output().substring(guarded.output().indexOf("elements")));
            assertThat(port.find()).as(guarded.output()).isTrue();
            try (Socket direct = new Socket()) {
                direct.bind(new InetSocketAddress(source(HOSTS.getFirst()), 0));
                assertThatThrownBy(() -> direct.connect(new InetSocketAddress(NetNamespace.SERVER,
                        Integer.parseInt(port.group(1))), 1000)).isInstanceOf(SocketTimeoutException.class);
            }

            herd.signal("TERM");
            assertThat(herd.awaitExit(Duration.ofSeconds(60))).isZero();
            assertThat(herd.processes()).isEmpty();
            Shell.Result tables = ns.run("nft", "list", "tables");
            assertThat(tables.code()).isZero();
            assertThat(tables.output()).doesNotContain("herd_");
            assertThat(herd.events("nat.removed")).hasSize(1);
        }
    }

    /**
     * Issue 17: the kernel hands nat mode's connections to the workers, and the master counts them per worker port
     * (nftables counters), so an app that reports nothing (a plain Node server) is recycled at --max-connections,
     * in the slot its band's clients went to, and serves on through its replacement.
     */
    @Test
    void theMasterCountsTheConnectionsRedirectedToAnAppThatReportsNothing() throws Exception {
        Path dir = Herd.newDir();
        List<String> extra = new ArrayList<>(List.of("--max-connections", "40", "--"));
        extra.addAll(ProxyModeTest.portWorker());
        try (Herd herd = startNat(dir, extra.toArray(String[]::new))) {
            herd.awaitPort();
            List<Long> first = herd.awaitReady(WORKERS, Duration.ofSeconds(60));
            awaitSteered(herd, 0, allSlots());
            int host = HOSTS.getFirst(); // its band's home slot: host % WORKERS
            for (int i = 0; i < 60; i++) {
                get(host); // a connection each
            }
            LogEvent recycle = herd.awaitEvent(e -> e.name().equals("worker.recycle"), Duration.ofSeconds(30),
                    "worker.recycle");
            assertThat(recycle.get("reason")).isEqualTo("connections");
            assertThat(recycle.intField("slot")).isEqualTo(host % WORKERS);
            assertThat(Long.parseLong(recycle.get("value"))).isBetween(40L, 60L); // not the readiness probes
            assertThat(first).contains(recycle.pid());
            await("the slot's new worker serves").atMost(Duration.ofSeconds(60))
                    .until(() -> herd.liveReadyPids().stream().noneMatch(pid -> pid == recycle.pid())
                            && herd.liveReadyPids().size() == WORKERS);
            get(host);
            assertThat(herd.events("worker.recycle")).hasSize(1); // the others had a connection or none each
        }
    }

    @Test
    void aReloadMovesNewConnectionsToTheNewGenerationInTheSameSlotWhileOpenOnesFinishOnTheOld() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = startNat(dir)) {
            herd.awaitPort();
            herd.awaitReady(WORKERS, Duration.ofSeconds(60));
            awaitSteered(herd, 0, allSlots());
            Map<Integer, Integer> before = slotsByHost(2);
            long oldPid = get(HOSTS.getFirst()).pid();
            try (Http slow = new Http(NetNamespace.SERVER, PORT, source(HOSTS.getFirst()))) {
                slow.send("/slow?ms=3000", false); // redirected to the old worker before the rules change

                Shell.Result reload = herd.cli("reload");
                assertThat(reload.code()).as(reload.output()).isZero();
                assertThat(slotsByHost(2)).isEqualTo(before);
                for (int host : HOSTS) {
                    assertThat(get(host).generation()).as("generation reached from " + source(host)).isEqualTo(2);
                }
                Http.Response finished = slow.read();
                assertThat(finished.status()).isEqualTo(200);
                assertThat(finished.pid()).as("conntrack kept the open connection on the old worker").isEqualTo(oldPid);
                assertThat(finished.generation()).isEqualTo(1);
            }
        }
    }

    @Test
    void aCrashedSlotsBandsAreServedElsewhereThenReturnWhileOthersNeverMove() throws InterruptedException {
        Path dir = Herd.newDir();
        try (Herd herd = startNat(dir, "--restart-delay", "2s")) {
            herd.awaitPort();
            herd.awaitReady(WORKERS, Duration.ofSeconds(60));
            awaitSteered(herd, 0, allSlots());
            Map<Integer, Integer> before = slotsByHost(3);
            int victimHost = HOSTS.getFirst();
            int victimSlot = before.get(victimHost);
            long victim = get(victimHost).pid();

            int updatesBefore = herd.events("nat.steered").size();
            Set<Integer> others = allSlots();
            others.remove(victimSlot);
            // a client of the victim's band opens connection after connection through the crash, until the
            // rules lend its band to another slot: the master's copy of the worker's socket keeps it listening, so
            // none is refused
            java.util.concurrent.atomic.AtomicBoolean steered = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger other = new java.util.concurrent.atomic.AtomicInteger();
            Thread client = Thread.ofPlatform().start(() -> {
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (!steered.get() && System.nanoTime() < deadline) {
                    try (Http http = new Http(NetNamespace.SERVER, PORT, source(victimHost))) {
                        http.request("/", false);
                        served.incrementAndGet();
                    } catch (java.net.ConnectException e) {
                        refused.incrementAndGet();
                    } catch (IOException e) {
                        other.incrementAndGet();
                    }
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> served.get() >= 20);
            Shell.run("kill", "-9", Long.toString(victim));
            awaitSteered(herd, updatesBefore, others);
            steered.set(true);
            client.join(Duration.ofSeconds(30));
            assertThat(client.isAlive()).isFalse();
            assertThat(refused.get()).as("connections refused through the crash").isZero();
            assertThat(other.get()).as("failed requests (only the one the victim held may fail)").isLessThanOrEqualTo(1);
            // the slot is empty for at least the 2 s restart delay: its clients must be served by the others
            for (int host : HOSTS) {
                Http.Response response = get(host);
                if (before.get(host) == victimSlot) {
                    assertThat(response.slot()).as(source(host) + " while its slot is down").isNotEqualTo(victimSlot);
                } else {
                    assertThat(response.slot()).as(source(host) + " (not on the crashed slot)").isEqualTo(before.get(host));
                }
            }
            assertThat(herd.events("worker.ready").stream().filter(e -> e.intField("slot") == victimSlot)).hasSize(1);

            herd.awaitEvent(e -> e.is("worker.ready", "slot", Integer.toString(victimSlot)) && e.pid() != victim,
                    Duration.ofSeconds(30), "replacement of slot " + victimSlot);
            awaitSteered(herd, updatesBefore + 1, allSlots());
            assertThat(slotsByHost(3)).isEqualTo(before);
            LogEvent rescue = herd.awaitEvent(e -> e.name().equals("nat.rescue_closed"), Duration.ofSeconds(10),
                    "the rescue listener on the dead worker's port closing");
            System.out.println("[nat-crash] client of the crashed band until its band was lent: served="
                    + served.get() + " refused=" + refused.get() + " other-failures=" + other.get()
                    + " (of the served, " + rescue.intField("connections") + " through the rescue listener on the dead port)");
        }
    }
}
