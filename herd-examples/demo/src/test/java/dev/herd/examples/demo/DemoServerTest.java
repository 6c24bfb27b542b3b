package dev.herd.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DemoServerTest {

    private static final Identity ID = new Identity(3, 4242, 7);
    private static final String JSON = "{\"slot\":3,\"pid\":4242,\"generation\":7,\"app\":\"herd-demo\",\"version\":\"v1\"}\n";
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private ServerSocketChannel channel;
    private DemoServer server;
    private InetSocketAddress address;

    @BeforeEach
    void start() throws IOException {
        startServer(new DemoConfig(Duration.ofSeconds(60), Duration.ofMillis(200)));
    }

    private void startServer(DemoConfig config) throws IOException {
        channel = ServerSocketChannel.open();
        channel.bind(new InetSocketAddress("127.0.0.1", 0));
        address = (InetSocketAddress) channel.getLocalAddress();
        server = new DemoServer(channel, ID, config);
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        server.close();
        channel.close();
    }

    private TestClient client() throws IOException {
        TestClient c = new TestClient(address);
        toClose.add(c);
        return c;
    }

    @Test
    void keepAliveServesSeveralRequestsOnOneConnection() throws IOException {
        TestClient c = client();
        for (int i = 0; i < 5; i++) {
            TestClient.Reply r = c.get("/any/path?i=" + i);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("Connection")).isNull();
        }
        assertThat(server.connectionsAccepted()).isEqualTo(1);
        // a request counts as served once its answer is written, a moment after the client may have read it
        await("5 requests counted").atMost(Duration.ofSeconds(5)).until(() -> server.requestsServed() == 5);
    }

    @Test
    void bodyIsTheWorkersIdentityAsJson() throws IOException {
        TestClient.Reply r = client().get("/");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).isEqualTo("application/json");
        assertThat(r.header("Content-Length")).isEqualTo(String.valueOf(JSON.length()));
        assertThat(r.body()).isEqualTo(JSON);
    }

    @Test
    void healthAndHead() throws IOException {
        TestClient c = client();
        TestClient.Reply health = c.get("/health");
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("ok");

        TestClient.Reply head = c.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n").read(true);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("Content-Length")).isEqualTo(String.valueOf(JSON.length()));
        // had HEAD sent a body, this next response would not parse
        assertThat(c.get("/").body()).isEqualTo(JSON);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws IOException {
        TestClient c = client();
        c.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n");
        assertThat(c.read().body()).isEqualTo("ok");
        assertThat(c.read().body()).isEqualTo(JSON);
    }

    @Test
    void http10ClosesAfterTheResponse() throws IOException {
        TestClient c = client();
        TestClient.Reply r = c.send("GET / HTTP/1.0\r\n\r\n").read();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Connection")).isEqualTo("close");
        c.awaitClosed();
    }

    @Test
    void http10WithKeepAliveStaysOpen() throws IOException {
        TestClient c = client();
        TestClient.Reply r = c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
        assertThat(r.header("Connection")).isEqualTo("keep-alive");
        assertThat(c.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read().body()).isEqualTo("ok");
    }

    @Test
    void connectionCloseFromTheClientIsHonoured() throws IOException {
        TestClient c = client();
        TestClient.Reply r = c.send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").read();
        assertThat(r.header("Connection")).isEqualTo("close");
        c.awaitClosed();
    }

    @Test
    void garbageGets400AndClose() throws IOException {
        TestClient c = client();
        TestClient.Reply r = c.send("garbage\r\n\r\n").read();
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.header("Connection")).isEqualTo("close");
        c.awaitClosed();
    }

    @Test
    void malformedHeaderGets400() throws IOException {
        TestClient c = client();
        assertThat(c.send("GET / HTTP/1.1\r\nno colon here\r\n\r\n").read().status()).isEqualTo(400);
        c.awaitClosed();
    }

    @Test
    void headOver16KiBGets400AndClose() throws IOException {
        TestClient c = client();
        String big = "X-Big: " + "a".repeat(20 * 1024) + "\r\n";
        TestClient.Reply r = c.send("GET / HTTP/1.1\r\nHost: t\r\n" + big + "\r\n").read();
        assertThat(r.status()).isEqualTo(400);
        c.awaitClosed();
    }

    @Test
    void unsupportedMethodGets405WithAllowAndTheBodyIsSkipped() throws IOException {
        TestClient c = client();
        TestClient.Reply r = c.send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello").read();
        assertThat(r.status()).isEqualTo(405);
        assertThat(r.header("Allow")).isEqualTo("GET, HEAD");
        // the body was read and discarded, so the connection is still usable
        assertThat(c.get("/").body()).isEqualTo(JSON);
    }

    @Test
    void getWithABodyIsAnswered() throws IOException {
        TestClient c = client();
        TestClient.Reply r = c.send("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc").read();
        assertThat(r.body()).isEqualTo(JSON);
        assertThat(c.get("/health").body()).isEqualTo("ok");
    }

    @Test
    void chunkedRequestGets501AndClose() throws IOException {
        TestClient c = client();
        TestClient.Reply r = c.send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n").read();
        assertThat(r.status()).isEqualTo(501);
        c.awaitClosed();
    }

    @Test
    void slowRejectsBadDurations() throws IOException {
        TestClient c = client();
        assertThat(c.get("/slow?ms=60001").status()).isEqualTo(400);
        assertThat(c.get("/slow?ms=abc").status()).isEqualTo(400);
        assertThat(c.get("/slow").status()).isEqualTo(400);
        assertThat(c.get("/slow?ms=0").body()).isEqualTo(JSON);
    }

    @Test
    void idleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        server.close();
        channel.close();
        startServer(new DemoConfig(Duration.ofMillis(300), Duration.ofMillis(200)));
        TestClient c = client();
        assertThat(c.get("/").status()).isEqualTo(200);
        c.awaitClosed(); // bounded by the client's 10 s read timeout
        await().atMost(WAIT).until(() -> server.openConnections() == 0);
    }

    @Test
    void drainFinishesInFlightRequestsThenClosesIdleConnections() throws Exception {
        TestClient idle = client();
        assertThat(idle.get("/").header("Connection")).isNull();
        TestClient slow = client();
        slow.send("GET /slow?ms=1500 HTTP/1.1\r\nHost: t\r\n\r\n");
        await().atMost(WAIT).until(() -> server.inFlight() == 1);

        CompletableFuture<Long> idleClosedAt = CompletableFuture.supplyAsync(() -> {
            try {
                idle.awaitClosed();
                return System.nanoTime();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        server.drain();

        // no longer accepting: the listening channel is closed, so connecting is refused
        assertThat(channel.isOpen()).isFalse();
        await().atMost(WAIT).untilAsserted(() -> assertThatThrownBy(() -> {
            try (Socket s = new Socket()) {
                s.connect(address, 1_000);
            }
        }).isInstanceOf(ConnectException.class));

        TestClient.Reply r = slow.read();
        long slowAnsweredAt = System.nanoTime();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Connection")).isEqualTo("close");
        assertThat(r.body()).isEqualTo(JSON);
        assertThat(idleClosedAt).as("idle connection closed only after the in-flight request").isNotDone();
        slow.awaitClosed();

        assertThat(idleClosedAt.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isGreaterThan(slowAnsweredAt);
        assertThat(server.awaitDrained(WAIT)).isTrue();
        assertThat(server.openConnections()).isZero();
        assertThat(server.inFlight()).isZero();
    }

    @Test
    void requestOnAnIdleConnectionDuringDrainIsAnsweredWithClose() throws Exception {
        TestClient idle = client();
        assertThat(idle.get("/").status()).isEqualTo(200);
        TestClient slow = client();
        slow.send("GET /slow?ms=1500 HTTP/1.1\r\nHost: t\r\n\r\n");
        await().atMost(WAIT).until(() -> server.inFlight() == 1);

        server.drain();
        TestClient.Reply r = idle.get("/health");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Connection")).isEqualTo("close");
        idle.awaitClosed();

        assertThat(slow.read().header("Connection")).isEqualTo("close");
        assertThat(server.awaitDrained(WAIT)).isTrue();
    }

    @Test
    void drainWithNothingInFlightClosesIdleConnectionsAndCompletes() throws Exception {
        TestClient idle = client();
        assertThat(idle.get("/").status()).isEqualTo(200);
        server.drain();
        server.drain(); // idempotent
        idle.awaitClosed();
        assertThat(server.awaitDrained(WAIT)).isTrue();
        assertThat(server.draining()).isTrue();
    }
}
