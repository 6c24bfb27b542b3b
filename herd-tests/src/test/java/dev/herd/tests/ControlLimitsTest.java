package dev.herd.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Slow, idle and piled-up control clients (docs/api.md, "Limits"): a request must arrive within 5 s, each transport
 * takes at most 64 connections, and neither transport can take the fds a worker's respawn needs, even under
 * {@code ulimit -n 256}.
 */
@Tag("chaos")
class ControlLimitsTest {
    /** The request timeout (5 s) plus the servers' check interval and a margin for a loaded machine. */
    private static final Duration CUT_WITHIN = Duration.ofSeconds(10);
    /** More connections than the cap (64) and than a master limited to 256 fds could hold. */
    private static final int FLOOD = 260;
    private static final List<String> LOW_FD_LIMIT = List.of("prlimit", "--nofile=256:256", "--");

    record Api(InetSocketAddress address, String key) {
    }

    private static Herd start(Path dir, List<String> prefix) {
        Herd herd = Herd.start(dir, prefix, Herd.runArgs(dir, "--workers", "2"), java.util.Map.of());
        herd.awaitPort();
        herd.awaitReady(2, Duration.ofSeconds(60));
        await("api.url written").atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dir.resolve("state/api.url")));
        return herd;
    }

    private static Api api(Path dir) throws IOException {
        URI url = URI.create(Files.readString(dir.resolve("state/api.url")).trim());
        return new Api(new InetSocketAddress(url.getHost(), url.getPort()),
                Files.readString(dir.resolve("state/access.key")).trim());
    }

    @Test
    void headersSentOneBytePerSecondAreCutWithinTheRequestTimeout() throws Exception {
        Path dir = Herd.newDir();
        try (Herd _ = start(dir, List.of()); Socket slow = new Socket()) {
            Api api = api(dir);
            slow.connect(api.address(), 5000);
            slow.setSoTimeout(1000); // paces the bytes: one per read that times out
            byte[] request = ("GET /api/health HTTP/1.1\r\nHost: herd\r\nX-Slow: " + "x".repeat(200)).getBytes(StandardCharsets.US_ASCII);
            long start = System.nanoTime();
            Duration open = null;
            for (int i = 0; i < request.length && open == null; i++) {
                open = sendOrSeeClosed(slow, request[i], start);
                if (Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(30)) > 0) {
                    break;
                }
            }
            assertThat(open).as("a client sending its headers 1 byte per second is cut within %s", CUT_WITHIN)
                    .isNotNull().isLessThanOrEqualTo(CUT_WITHIN);
            assertThat(open).as("not before the request timeout").isGreaterThanOrEqualTo(Duration.ofSeconds(4));
        }
    }

    /** Sends one byte, then waits a second for the server to close; the time the connection lasted, or null if open. */
    private static Duration sendOrSeeClosed(Socket socket, byte b, long start) {
        try {
            socket.getOutputStream().write(b);
            socket.getOutputStream().flush();
            return socket.getInputStream().read() < 0 ? Duration.ofNanos(System.nanoTime() - start) : null;
        } catch (SocketTimeoutException e) {
            return null;
        } catch (IOException e) { // reset or broken pipe: closed
            return Duration.ofNanos(System.nanoTime() - start);
        }
    }

    @Test
    void aDeclaredBodyThatNeverComesIsCut() throws Exception {
        Path dir = Herd.newDir();
        try (Herd _ = start(dir, List.of()); Socket client = new Socket()) {
            Api api = api(dir);
            client.connect(api.address(), 5000);
            client.getOutputStream().write(("POST /api/status HTTP/1.1\r\nHost: herd\r\nAuthorization: Bearer " + api.key()
                    + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"args\"").getBytes(StandardCharsets.US_ASCII));
            client.getOutputStream().flush();
            long start = System.nanoTime();
            assertThat(closedWithin(client, Duration.ofSeconds(30))).as("a body that never comes is cut").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThanOrEqualTo(CUT_WITHIN);
        }
    }

    /** Reads until the peer closes (true) or the time is up (false), discarding whatever it answers. */
    private static boolean closedWithin(Socket socket, Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        socket.setSoTimeout(250);
        InputStream in = socket.getInputStream();
        byte[] sink = new byte[4096];
        while (System.nanoTime() < deadline) {
            try {
                if (in.read(sink) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                // still open
            } catch (IOException e) {
                return true; // reset
            }
        }
        return false;
    }

    @Test
    void idleConnectionsBeyondTheCapStopNeitherHealthNorARespawnUnderAFdLimitOf256() throws Exception {
        Path dir = Herd.newDir();
        List<Socket> flood = new ArrayList<>();
        try (Herd herd = start(dir, LOW_FD_LIMIT)) {
            Api api = api(dir);
            for (int i = 0; i < FLOOD; i++) {
                Socket idle = new Socket();
                flood.add(idle);
                try {
                    idle.connect(api.address(), 1000);
                } catch (IOException e) {
                    // the master closed or refused it: it is over the cap
                }
            }
            long victim = herd.liveReadyPids().getFirst();
            Shell.run("kill", "-9", Long.toString(victim));

            long start = System.nanoTime();
            await("GET /api/health answers a fresh client").atMost(CUT_WITHIN).pollInterval(Duration.ofMillis(200))
                    .until(() -> health(api));
            System.out.printf("health answered %d ms after %d idle connections%n",
                    (System.nanoTime() - start) / 1_000_000, FLOOD);
            awaitRespawned(herd, victim);
            assertThat(herd.output()).doesNotContain("Too many open files");
        } finally {
            for (Socket socket : flood) {
                socket.close();
            }
        }
    }

    /** A connection to the socket, or null while its backlog is full (a non-blocking connect fails then). */
    private static SocketChannel connect(UnixDomainSocketAddress socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.configureBlocking(false);
        try {
            channel.connect(socket);
            return channel;
        } catch (IOException e) {
            channel.close();
            return null;
        }
    }

    private static void awaitRespawned(Herd herd, long victim) {
        await("the killed worker's slot has a ready replacement").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100)).until(herd::liveReadyPids,
                        pids -> pids.size() == 2 && !pids.contains(victim));
    }

    /** One GET /api/health on a fresh connection: true when it answers 200 within 2 s. */
    private static boolean health(Api api) {
        try (Socket socket = new Socket()) {
            socket.connect(api.address(), 2000);
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /api/health HTTP/1.1\r\nHost: herd\r\nAuthorization: Bearer " + api.key()
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            return answer.startsWith("HTTP/1.1 200");
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void eventAndLogStreamsOutliveTheRequestAndIdleTimeouts() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = start(dir, List.of());
             Socket events = new Socket();
             Socket eventsWithBody = new Socket();
             SocketChannel follower = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            Api api = api(dir);
            events.connect(api.address(), 5000);
            events.getOutputStream().write(("GET /events HTTP/1.1\r\nHost: herd\r\nAuthorization: Bearer " + api.key()
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            events.getOutputStream().flush();
            // a body the stream does not need: read away, so the request is complete and no timeout applies
            eventsWithBody.connect(api.address(), 5000);
            eventsWithBody.getOutputStream().write(("GET /events HTTP/1.1\r\nHost: herd\r\nAuthorization: Bearer " + api.key()
                    + "\r\nContent-Length: 2\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII));
            eventsWithBody.getOutputStream().flush();
            follower.connect(UnixDomainSocketAddress.of(dir.resolve("state/control.sock")));
            follower.write(ByteBuffer.wrap("{\"command\":\"events\",\"args\":[\"1\"],\"follow\":true}\n".getBytes(StandardCharsets.UTF_8)));
            StringBuilder sse = new StringBuilder();
            StringBuilder sseWithBody = new StringBuilder();
            StringBuilder local = new StringBuilder();
            // past the request timeout (5 s) and the HTTP idle timeout (10 s), with nothing to stream meanwhile
            long quietUntil = System.nanoTime() + Duration.ofSeconds(12).toNanos();
            await("12 s of a quiet cluster").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
                    .until(() -> System.nanoTime() > quietUntil);
            long victim = herd.liveReadyPids().getFirst();
            Shell.run("kill", "-9", Long.toString(victim));
            events.setSoTimeout(200);
            eventsWithBody.setSoTimeout(200);
            follower.configureBlocking(false);
            await("both streams show the crash").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        drain(events, sse);
                        drain(eventsWithBody, sseWithBody);
                        drain(follower, local);
                        return sse.toString().contains("event: worker.exited") && local.toString().contains("\"worker.exited\"")
                                && sseWithBody.toString().contains("event: worker.exited");
                    });
        }
    }

    private static void drain(Socket socket, StringBuilder into) {
        byte[] buffer = new byte[8192];
        try {
            int n = socket.getInputStream().read(buffer);
            if (n > 0) {
                into.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // nothing yet (timeout); a closed stream shows as a missing event
        }
    }

    private static void drain(SocketChannel channel, StringBuilder into) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        if (channel.read(buffer) > 0) {
            into.append(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void localClientsThatSendNothingOrHalfALineAreClosedAfterTheRequestTimeout() throws Exception {
        Path dir = Herd.newDir();
        try (Herd herd = start(dir, List.of());
             SocketChannel silent = SocketChannel.open(StandardProtocolFamily.UNIX);
             SocketChannel halfLine = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            UnixDomainSocketAddress socket = UnixDomainSocketAddress.of(dir.resolve("state/control.sock"));
            silent.connect(socket);
            halfLine.connect(socket);
            halfLine.write(ByteBuffer.wrap("{\"command\":\"sta".getBytes(StandardCharsets.UTF_8)));
            long start = System.nanoTime();
            await("both closed by the master").atMost(CUT_WITHIN).pollInterval(Duration.ofMillis(100))
                    .until(() -> closed(silent) && closed(halfLine));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not before the request timeout")
                    .isGreaterThanOrEqualTo(Duration.ofSeconds(4));
            assertThat(herd.cli("status").code()).as("the socket still serves").isZero();
        }
    }

    /** Whether the master closed the connection (a read sees the end); the channel is left non-blocking. */
    private static boolean closed(SocketChannel channel) {
        try {
            channel.configureBlocking(false);
            return channel.read(ByteBuffer.allocate(256)) < 0;
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void manyIdleLocalClientsDoNotBlockHerdStatusNorARespawnUnderAFdLimitOf256() throws Exception {
        Path dir = Herd.newDir();
        List<SocketChannel> flood = new ArrayList<>();
        try (Herd herd = start(dir, LOW_FD_LIMIT)) {
            UnixDomainSocketAddress socket = UnixDomainSocketAddress.of(dir.resolve("state/control.sock"));
            int connected = 0;
            try {
                for (int i = 0; i < FLOOD; i++) {
                    flood.add(await("connection " + i).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                            .until(() -> connect(socket), channel -> channel != null));
                    connected++;
                }
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                // the master accepts no more: its backlog stays full
            }
            System.out.printf("%d idle local connections made%n", connected);
            long victim = herd.liveReadyPids().getFirst();
            Shell.run("kill", "-9", Long.toString(victim));

            long start = System.nanoTime();
            Shell.Result status = Shell.run(List.of("timeout", "20", Herd.LAUNCHER.toString(), "status", "--state-dir",
                    dir.resolve("state").toString()));
            System.out.printf("herd status took %d ms beside %d idle local connections%n",
                    (System.nanoTime() - start) / 1_000_000, FLOOD);
            assertThat(status.code()).as("herd status beside %d idle connections: %s", FLOOD, status.output()).isZero();
            awaitRespawned(herd, victim);
            assertThat(herd.output()).doesNotContain("Too many open files");
        } finally {
            for (SocketChannel channel : flood) {
                channel.close();
            }
        }
    }
}
