package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 4, must-show 4 (and proxy mode's share of "reload and crash handling work in every mode"): a Node hello
 * server that can only bind {@code $PORT} ({@code workers/port_worker.js}) behind the master's TCP proxy.
 */
class ProxyModeTest {

    static List<String> portWorker() {
        try {
            Path script = Path.of(ProxyModeTest.class.getResource("/workers/port_worker.js").toURI());
            return List.of("/usr/bin/node", script.toString());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Herd start(Path dir, int workers, String... options) {
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", Integer.toString(workers), "--mode", "proxy"));
        args.addAll(List.of(options));
        args.add("--");
        args.addAll(portWorker());
        return Herd.start(dir, args);
    }

    /** Waits until the proxy's routing table holds {@code workers} workers. */
    private static void awaitProxyRoutesTo(Herd herd, int workers) {
        await("proxy routing to " + workers + " workers").atMost(Duration.ofSeconds(10))
                .until(() -> herd.events("proxy.backends").stream()
                        .anyMatch(e -> e.get("workers").split(",").length == workers));
    }

    private static Http.Response get(int port, String source, String path) throws IOException {
        try (Http http = new Http("127.0.0.1", port, source)) {
            Http.Response response = http.request(path, false);
            assertThat(response.status()).isEqualTo(200);
            return response;
        }
    }

    @Test
    void roundRobinGivesEachWorkerItsTurn() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = start(dir, 4)) {
            int port = herd.awaitPort();
            List<Long> workers = herd.awaitReady(4, Duration.ofSeconds(30));
            awaitProxyRoutesTo(herd, 4);
            Map<Long, Integer> counts = new HashMap<>();
            for (int i = 0; i < 40; i++) {
                counts.merge(get(port, null, "/").pid(), 1, Integer::sum);
            }
            assertThat(counts.keySet()).containsExactlyInAnyOrderElementsOf(workers);
            assertThat(counts.values()).containsOnly(10);
            await("worker 0's output in its log").atMost(Duration.ofSeconds(10))
                    .until(() -> Files.readString(dir.resolve("state/logs/worker-0.log")).contains("listening on 127.0.0.1:"));
        }
    }

    @Test
    void leastConnectionsSendsNewClientsToTheIdleWorker() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = start(dir, 4, "--balance", "least-conn")) {
            int port = herd.awaitPort();
            herd.awaitReady(4, Duration.ofSeconds(30));
            awaitProxyRoutesTo(herd, 4);
            List<Http> held = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    Http http = new Http(port);
                    http.send("/slow?ms=20000", false);
                    held.add(http);
                }
                await("three slow requests in three workers").atMost(Duration.ofSeconds(10)).until(() -> {
                    int started = 0;
                    for (int slot = 0; slot < 4; slot++) {
                        Path log = dir.resolve("state/logs/worker-" + slot + ".log");
                        started += Files.exists(log) ? (int) Files.readString(log).lines()
                                .filter(l -> l.equals("slow request started")).count() : 0;
                    }
                    return started == 3;
                });
                Set<Integer> slots = new HashSet<>();
                for (int i = 0; i < 10; i++) {
                    try (Http http = new Http(port)) {
                        slots.add(http.request("/", false).slot());
                        http.awaitClose(); // the proxy no longer counts this connection once it closed it
                    }
                }
                assertThat(slots).hasSize(1);
                int idle = slots.iterator().next();
                assertThat(Files.readString(dir.resolve("state/logs/worker-" + idle + ".log")))
                        .doesNotContain("slow request started");
            } finally {
                for (Http http : held) {
                    http.close();
                }
            }
        }
    }

    @Test
    void ipHashKeepsEachClientOnOneWorker() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = start(dir, 4, "--balance", "ip-hash")) {
            int port = herd.awaitPort();
            herd.awaitReady(4, Duration.ofSeconds(30));
            awaitProxyRoutesTo(herd, 4);
            Set<Long> all = new HashSet<>();
            for (String source : IntStream.range(30, 46).mapToObj(i -> "127.0.0." + i).toList()) {
                Set<Long> pids = new HashSet<>();
                for (int i = 0; i < 10; i++) {
                    pids.add(get(port, source, "/").pid());
                }
                assertThat(pids).as(source).hasSize(1);
                all.addAll(pids);
            }
            assertThat(all).hasSizeGreaterThan(1);
        }
    }

    @Test
    void proxyProtocolHeadersTellTheWorkerTheRealClient() throws Exception {
        for (String version : List.of("v1", "v2")) {
            Path dir = Herd.newDir();
            try (Herd herd = start(dir, 1, "--proxy-protocol", version)) {
                int port = herd.awaitPort();
                herd.awaitReady(1, Duration.ofSeconds(30));
                try (Http http = new Http("127.0.0.1", port, "127.0.0.7")) {
                    Http.Response response = http.request("/", false);
                    assertThat(response.body()).as(version)
                            .contains("\"client\":\"127.0.0.7:" + http.localPort() + "\"");
                }
            }
        }
    }

    /** The public socket takes the address's family: an IPv6 host is served over IPv6, its clients named as such. */
    @Test
    void anIpv6AddressIsServedAndItsClientsNamedInTheHeader() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(List.of("run", "--host", "::1", "--port", "0",
                "--state-dir", dir.resolve("state").toString(), "--workers", "1", "--mode", "proxy",
                "--proxy-protocol", "v2", "--"));
        args.addAll(portWorker());
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            herd.awaitReady(1, Duration.ofSeconds(30));
            try (Http http = new Http("::1", port)) {
                Http.Response response = http.request("/", false);
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.body()).contains("\"client\":\"0:0:0:0:0:0:0:1:" + http.localPort() + "\"");
            }
        }
    }

    /**
     * The forwarding loops lose and reorder nothing: four connections at once each send 8 MiB and half-close, the
     * echo worker sends it all back and half-closes too; one client reads slowly, so its worker side backs up.
     */
    @Test
    void largeStreamsArriveWholeBothWaysThroughHalfCloses() throws Exception {
        Path dir = Herd.newDir();
        Path script = Path.of(ProxyModeTest.class.getResource("/workers/echo_port_worker.py").toURI());
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--mode", "proxy"));
        args.addAll(List.of("--", "/usr/bin/python3", script.toString()));
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            herd.awaitReady(2, Duration.ofSeconds(30));
            awaitProxyRoutesTo(herd, 2);
            List<java.util.concurrent.Future<String>> results = new ArrayList<>();
            try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 4; i++) {
                    long seed = i;
                    boolean slowReader = i == 0;
                    results.add(pool.submit(() -> EchoStream.roundTrip(port, 8 << 20, seed, slowReader)));
                }
                for (var result : results) {
                    assertThat(result.get(120, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("intact");
                }
            }
        }
    }

    @Test
    void reloadsAndCrashesInProxyModeLoseNoRequest() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = start(dir, 2, "--restart-delay", "1s")) {
            int port = herd.awaitPort();
            List<Long> first = herd.awaitReady(2, Duration.ofSeconds(30));
            LoadClient load = LoadClient.newConnectionPerRequest(port, 4, 100_000, Duration.ofSeconds(90));
            try {
                load.awaitRequests(100);
                for (int i = 0; i < 3; i++) {
                    Shell.Result reload = herd.cli("reload");
                    assertThat(reload.code()).as(reload.output()).isZero();
                }
                long done = load.completed();
                load.awaitRequests(done + 100);
            } finally {
                load.stop();
            }
            System.out.println("[proxy-reload] 3 reloads: " + load.summary());
            assertThat(load.failures()).isEmpty();
            assertThat(get(port, null, "/").generation()).isEqualTo(4);
            assertThat(load.pidsSeen()).containsAll(first);

            // a crash: the proxy stops choosing the dead worker; the other serves, nothing is refused
            long victim = herd.liveReadyPids().getFirst();
            LoadClient during = LoadClient.newConnectionPerRequest(port, 2, 100_000, Duration.ofSeconds(60));
            long deadAt;
            try {
                during.awaitRequests(50);
                int readyBefore = herd.events("worker.ready").size();
                Shell.run("kill", "-9", Long.toString(victim));
                herd.awaitEvent(e -> e.is("worker.exited", "pid", Long.toString(victim)), Duration.ofSeconds(10),
                        "victim exited");
                deadAt = System.nanoTime();
                await("replacement ready").atMost(Duration.ofSeconds(30))
                        .until(() -> herd.events("worker.ready").size() > readyBefore);
                long after = during.completed();
                during.awaitRequests(after + 50);
            } finally {
                during.stop();
            }
            System.out.println("[proxy-crash] " + during.summary());
            // SIGKILL loses the requests the victim had in hand: at most one per client thread, none later
            assertThat(during.failures()).hasSizeLessThanOrEqualTo(2)
                    .allSatisfy(f -> assertThat(f.startedNanos()).isLessThan(deadAt));
        }
    }

    /**
     * cluster2's socket timeout: with --idle-timeout the master closes a forwarded keep-alive connection through which
     * nothing moved for that long (here 1 s; the demo worker, bound to its own $PORT, would keep it 60 s), and not
     * before.
     */
    @Test
    void anIdleForwardedConnectionIsClosedAtTheIdleTimeout() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "1", "--mode", "proxy", "--idle-timeout",
                "1s", "--"));
        args.addAll(Workers.demo());
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            herd.awaitReady(1, Duration.ofSeconds(60));
            awaitProxyRoutesTo(herd, 1);
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
                socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: herd\r\n\r\n"
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                java.io.InputStream in = socket.getInputStream();
                byte[] buffer = new byte[4096];
                int n = in.read(buffer);
                assertThat(new String(buffer, 0, n, java.nio.charset.StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");
                long answered = System.nanoTime();
                socket.setSoTimeout(10_000);
                int next;
                do {
                    next = in.read(buffer); // the rest of the answer, if any, then the end
                } while (next > 0);
                Duration idle = Duration.ofNanos(System.nanoTime() - answered);
                assertThat(next).as("closed by the master").isEqualTo(-1);
                assertThat(idle).isBetween(Duration.ofMillis(900), Duration.ofMillis(4000));
            }
        }
    }
}
