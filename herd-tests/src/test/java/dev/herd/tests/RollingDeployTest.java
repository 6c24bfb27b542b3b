package dev.herd.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 18, item 5: many machines. Two "hosts", each a network namespace joined to the test's own by a veth pair
 * (10.213.81.1 and 10.213.82.1) with its own master and demo workers, behind a real HAProxy in the test's namespace
 * that health-checks each host's {@code GET /ecv} on its API port. {@code herd-examples/deploy/rolling-deploy}
 * upgrades both, one after the other (ECV off, DOWN at HAProxy, upgrade, healthy, ECV on, UP), while wrk sends
 * through HAProxy the whole time: nothing is lost, both hosts end on their new workers, and both serve after. Then a
 * deploy whose new command cannot start stops at the first host with one line, leaving that host out of rotation on
 * its old workers and the second one untouched.
 */
class RollingDeployTest {
    static final List<String> SUBNETS = List.of("10.213.81", "10.213.82");
    static final int PORT = 8080;     // inside each host's namespace: nothing else listens there
    static final int API_PORT = 9901; // the same
    static final int WORKERS = 2;
    static final Path SCRIPT = Herd.HOME.resolve("herd-examples/deploy/rolling-deploy");
    static final String HAPROXY = "/usr/sbin/haproxy";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the test started, closed in reverse order whatever happens. */
    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void stopEverything() {
        for (AutoCloseable closeable : started.reversed()) {
            try {
                closeable.close();
            } catch (Exception e) {
                System.err.println("[rolling deploy] cleanup: " + e);
            }
        }
    }

    /** A host: its namespace and master. */
    private record Host(NetNamespace ns, Herd herd) {
        String name() {
            return ns.name; // the server name at HAProxy too, and {name} in the script's --herd
        }

        Path stateDir() {
            return herd.dir.resolve("state");
        }

        /** slot, pid and generation of each serving (not retired) worker. */
        List<JsonNode> workers() throws IOException {
            Shell.Result result = herd.cli("workers", "--json");
            assertThat(result.code()).as(result.output()).isZero();
            List<JsonNode> workers = new ArrayList<>();
            JSON.readTree(result.output()).path("result").forEach(w -> {
                if (!w.path("retired").asBoolean()) {
                    workers.add(w);
                }
            });
            return workers;
        }

        Set<Long> pids() throws IOException {
            Set<Long> pids = new HashSet<>();
            workers().forEach(w -> pids.add(w.path("pid").asLong()));
            return pids;
        }
    }

    @Test
    void aRollingUpgradeOfTwoHostsBehindHaproxyLosesNoRequest() throws Exception {
        assumeHostsCanBeMade();
        List<Host> hosts = new ArrayList<>();
        for (String subnet : SUBNETS) {
            NetNamespace ns;
            try {
                ns = NetNamespace.create(subnet, List.of(2));
            } catch (IllegalStateException e) {
                Assumptions.abort("network namespaces cannot be made here: " + e.getMessage());
                return;
            }
            started.add(ns);
            Path dir = Herd.newDir();
            Herd herd = Herd.start(dir, ns.prefix(), List.of("run", "--port", Integer.toString(PORT),
                    "--workers", Integer.toString(WORKERS), "--api-host", ns.server(), "--api-port",
                    Integer.toString(API_PORT), "--state-dir", dir.resolve("state").toString(),
                    "--canary-seconds", "1", "--drain-timeout", "10s"), Map.of());
            started.add(herd);
            hosts.add(new Host(ns, herd));
        }
        Map<String, Set<Long>> before = new HashMap<>();
        for (Host host : hosts) {
            host.herd.awaitReady(WORKERS, Duration.ofSeconds(60));
            before.put(host.name(), host.pids());
        }

        Path dir = Herd.newDir();
        Haproxy haproxy = Haproxy.start(dir, hosts);
        started.add(haproxy);
        await("both hosts UP at HAProxy").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> hosts.stream().allMatch(h -> "UP".equals(haproxy.status(h.name()))));

        List<String> deploy = new ArrayList<>(List.of(SCRIPT.toString(),
                "--haproxy-socket", haproxy.socket.toString(), "--backend", "app",
                "--herd", "ip netns exec {name} " + Herd.LAUNCHER,
                "--down-timeout", "20s", "--up-timeout", "20s", "--deploy-timeout", "90s", "--health-timeout", "20s"));
        for (Host host : hosts) {
            deploy.add(host.name() + "=--state-dir " + host.stateDir());
        }
        deploy.addAll(List.of("--env", "HERD_APP_VERSION=v2", "--"));
        deploy.addAll(Workers.demo());

        Wrk.Result result;
        Tagged script;
        long rolloutMillis;
        try (Wrk wrk = Wrk.startYielding(haproxy.port, 1, 8, Duration.ofSeconds(150), dir)) {
            wrk.awaitRunning();
            long start = System.nanoTime();
            script = Tagged.start(deploy, dir.resolve("deploy.out"));
            started.add(script);
            int code = script.awaitExit(Duration.ofSeconds(150));
            rolloutMillis = (System.nanoTime() - start) / 1_000_000;
            System.out.println("[rolling deploy] script output:\n" + script.output());
            assertThat(code).as("rolling-deploy exit code; its output:\n" + script.output()).isZero();
            result = wrk.stop();
        }
        System.out.println("[rolling deploy] 2 hosts x " + WORKERS + " demo workers behind HAProxy, rollout "
                + rolloutMillis + " ms, wrk -t1 -c8 through HAProxy: " + result);

        assertThat(result.requests()).isPositive();
        assertThat(result.socketErrors()).as("socket errors\n" + result.output()).isZero();
        assertThat(result.non2xx()).as("non-2xx\n" + result.output()).isZero();
        assertThat(result.unparsed()).isZero();
        assertThat(result.generations()).as("answers of the old and the new generation").containsKeys(1, 2);

        Map<Long, String> hostOfPid = new HashMap<>();
        for (Host host : hosts) {
            assertThat(script.output()).contains(host.name() + ": DOWN at the balancer", host.name() + ": UP at the balancer");
            List<JsonNode> workers = host.workers();
            assertThat(workers).as("workers of " + host.name()).hasSize(WORKERS)
                    .allSatisfy(w -> assertThat(w.path("generation").asInt()).isEqualTo(2));
            Set<Long> after = host.pids();
            assertThat(after).as("new workers on " + host.name()).doesNotContainAnyElementsOf(before.get(host.name()));
            after.forEach(pid -> hostOfPid.put(pid, host.name()));
            assertThat(haproxy.status(host.name())).isEqualTo("UP");
        }

        Set<String> reached = new HashSet<>();
        for (int i = 0; i < 8; i++) {
            Http.Response response = Http.get(haproxy.port, "/");
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).contains("\"version\":\"v2\"");
            assertThat(hostOfPid).as("a new worker answered").containsKey(response.pid());
            reached.add(hostOfPid.get(response.pid()));
        }
        assertThat(reached).as("hosts HAProxy sent requests to after the rollout")
                .containsExactlyInAnyOrderElementsOf(hostOfPid.values().stream().distinct().toList());
        assertThat(reached).hasSize(2);

        // a deploy whose canary fails on the first host: one line, that host left out of rotation, the next untouched
        List<String> failing = new ArrayList<>(deploy.subList(0, deploy.indexOf("--env")));
        failing.addAll(List.of("--", "/bin/sh", "-c", "echo v3 cannot start; exit 3"));
        Map<String, Set<Long>> deployed = new HashMap<>();
        for (Host host : hosts) {
            deployed.put(host.name(), host.pids());
        }
        Tagged bad = Tagged.start(failing, dir.resolve("failing.out"), dir.resolve("failing.err"));
        started.add(bad);
        assertThat(bad.awaitExit(Duration.ofSeconds(90))).as(bad.output()).isEqualTo(1);
        String error = Files.readString(dir.resolve("failing.err"));
        System.out.println("[rolling deploy] a failing upgrade: " + error.strip());
        Host first = hosts.getFirst();
        Host second = hosts.getLast();
        assertThat(error.strip().lines().toList()).as(error).hasSize(1);
        assertThat(error).startsWith("rolling-deploy: " + first.name() + ": herd upgrade failed (exit 1)")
                .contains("exit code 3", first.name() + " is left out of rotation", "not touched: " + second.name());
        assertThat(bad.output()).doesNotContain(second.name() + ": ecv");
        assertThat(haproxy.status(first.name())).isEqualTo("DOWN");
        assertThat(haproxy.status(second.name())).isEqualTo("UP");
        for (Host host : hosts) {
            assertThat(host.pids()).as("workers of " + host.name() + " after the failed upgrade")
                    .isEqualTo(deployed.get(host.name()));
        }
        assertThat(first.herd.cli("ecv").output()).contains("disabled");
        assertThat(second.herd.cli("ecv").output()).contains("enabled");
    }

    /** Bad usage: one line naming the problem (and one pointing to --help), exit code 2, nothing asked of anyone. */
    @Test
    void badUsageOfTheScriptIsOneLineAndExitCode2() throws IOException {
        Map<List<String>, String> cases = Map.of(
                List.of(), "no HOST given",
                List.of("--lb-state", "echo UP", "--down-timeout", "5x", "web1"), "--down-timeout: '5x' is not a duration",
                List.of("--haproxy-socket", "/nonexistent.sock", "web1"), "--haproxy-socket needs --backend NAME",
                List.of("--lb-state", "echo UP", "web1", "web1"), "HOST 'web1' is given twice",
                List.of("--lb-state", "echo UP", "--env", "A=1", "web1"), "--env is for the new command",
                List.of("--lb-state", "echo UP", "--herd", "/nonexistent/herd", "web1"), "'/nonexistent/herd' is not a command");
        for (Map.Entry<List<String>, String> c : cases.entrySet()) {
            List<String> command = new ArrayList<>(List.of(SCRIPT.toString()));
            command.addAll(c.getKey());
            Shell.Result result = Shell.run(command);
            assertThat(result.code()).as(c.getKey() + ": " + result.output()).isEqualTo(2);
            assertThat(result.output().lines().toList()).as(c.getKey().toString()).hasSize(2)
                    .last().isEqualTo("Try 'rolling-deploy --help'.");
            assertThat(result.output()).startsWith("rolling-deploy: ").contains(c.getValue());
        }
        Shell.Result help = Shell.run(SCRIPT.toString(), "--help");
        assertThat(help.code()).isZero();
        assertThat(help.output()).startsWith("Usage: rolling-deploy").contains("--haproxy-socket", "--lb-state");
    }

    /** The configuration docs/deploy.md shows is one HAProxy accepts, with the same checks as the test's. */
    @Test
    void theExampleHaproxyConfigurationIsValid() throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(Path.of(HAPROXY)), "needs " + HAPROXY + " (apt-get install haproxy)");
        Path example = Herd.HOME.resolve("herd-examples/deploy/haproxy.cfg");
        Shell.Result check = Shell.run(HAPROXY, "-c", "-f", example.toString());
        assertThat(check.code()).as(check.output()).isZero();
        assertThat(Files.readString(example)).contains("option httpchk GET /ecv", "http-check expect status 200",
                "stats socket /run/haproxy/admin.sock");
    }

    private static void assumeHostsCanBeMade() {
        Shell.Result id = Shell.run("id", "-u");
        Assumptions.assumeTrue(id.output().strip().equals("0"),
                "RollingDeployTest needs root to make network namespaces (ip netns); skipped as uid " + id.output().strip());
        for (String tool : List.of("/usr/sbin/ip", HAPROXY, "/usr/bin/socat", Wrk.BINARY)) {
            Assumptions.assumeTrue(Files.isExecutable(Path.of(tool)),
                    "RollingDeployTest needs " + tool + " (apt-get install iproute2 haproxy socat wrk); skipped");
        }
    }

    /** A process started with a tag in its environment, so that closing it kills it and all it started. */
    private static final class Tagged implements AutoCloseable {
        final Process process;
        final Path output;
        private final String tag;

        private Tagged(Process process, Path output, String tag) {
            this.process = process;
            this.output = output;
            this.tag = tag;
        }

        static Tagged start(List<String> command, Path output) {
            return start(command, output, null);
        }

        /** With its standard error in {@code errors}, or with its output when that is null. */
        static Tagged start(List<String> command, Path output, Path errors) {
            String tag = UUID.randomUUID().toString();
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            if (errors == null) {
                builder.redirectErrorStream(true);
            } else {
                builder.redirectError(errors.toFile());
            }
            builder.environment().put("HERD_TEST_TAG", tag);
            builder.environment().put("HERD_NO_BUILD", "1");
            try {
                return new Tagged(builder.start(), output, tag);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        int awaitExit(Duration timeout) throws InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("still running after " + timeout + ": " + process.info().commandLine()
                        .orElse("?") + "\n" + output());
            }
            return process.exitValue();
        }

        String output() {
            try {
                return Files.readString(output);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            TaggedProcesses.killAll(tag);
            process.destroyForcibly();
        }
    }

    /**
     * HAProxy (Debian's package) in the foreground, on a free loopback port, with both hosts as the servers of
     * backend {@code app}, health-checked with {@code GET /ecv} on their API port every 200 ms (2 failures make a
     * server DOWN, 2 successes UP again), and its runtime API on a unix socket for the script and the test.
     */
    private static final class Haproxy implements AutoCloseable {
        final int port;
        final Path socket;
        private final Tagged process;

        private Haproxy(int port, Path socket, Tagged process) {
            this.port = port;
            this.socket = socket;
            this.process = process;
        }

        static Haproxy start(Path dir, List<Host> hosts) throws IOException {
            int port = Http.freePort();
            Path socket = dir.resolve("haproxy.sock");
            StringBuilder config = new StringBuilder("""
                    global
                        stats socket %s mode 600 level admin
                        log stderr format short local0 notice

                    defaults
                        mode http
                        log global
                        timeout connect 2s
                        timeout client 30s
                        timeout server 30s
                        timeout check 2s

                    frontend web
                        bind 127.0.0.1:%d
                        default_backend app

                    backend app
                        balance roundrobin
                        option httpchk GET /ecv
                        http-check expect status 200
                        default-server check port %d inter 200ms fall 2 rise 2
                    """.formatted(socket, port, API_PORT));
            for (Host host : hosts) {
                config.append("    server ").append(host.name()).append(' ').append(host.ns.server()).append(':')
                        .append(PORT).append('\n');
            }
            Path file = dir.resolve("haproxy.cfg");
            Files.writeString(file, config);
            Tagged process = Tagged.start(List.of(HAPROXY, "-db", "-f", file.toString()), dir.resolve("haproxy.out"));
            Haproxy haproxy = new Haproxy(port, socket, process);
            try {
                await("HAProxy's runtime API").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                        .until(() -> {
                            if (!process.process.isAlive()) {
                                throw new AssertionError("haproxy exited: " + process.output());
                            }
                            return Files.exists(socket);
                        });
            } catch (RuntimeException | AssertionError e) {
                haproxy.close();
                throw e;
            }
            return haproxy;
        }

        /** The {@code status} column of the server's line in {@code show stat} (UP, DOWN, 'UP 1/2', ...). */
        String status(String server) {
            String csv = command("show stat");
            List<String> lines = csv.lines().toList();
            List<String> header = List.of(lines.getFirst().substring(2).split(","));
            int proxy = header.indexOf("pxname");
            int name = header.indexOf("svname");
            int status = header.indexOf("status");
            for (String line : lines.subList(1, lines.size())) {
                String[] fields = line.split(",", -1);
                if (fields.length > status && fields[proxy].equals("app") && fields[name].equals(server)) {
                    return fields[status];
                }
            }
            throw new IllegalStateException("no server " + server + " in\n" + csv);
        }

        private String command(String command) {
            try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                channel.connect(UnixDomainSocketAddress.of(socket));
                channel.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8)));
                java.io.ByteArrayOutputStream answer = new java.io.ByteArrayOutputStream();
                ByteBuffer buffer = ByteBuffer.allocate(16384);
                while (channel.read(buffer) >= 0) { // HAProxy closes after answering one command
                    answer.write(buffer.array(), 0, buffer.position());
                    buffer.clear();
                }
                return answer.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot ask HAProxy at " + socket, e);
            }
        }

        @Override
        public void close() {
            process.close();
        }
    }
}
