package dev.herd.examples.jetty;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JettyAppTest {

    private static final Identity ID = new Identity(3, 4242, 7, "v9");
    private static final String JSON =
            "{\"slot\":3,\"pid\":4242,\"generation\":7,\"app\":\"herd-jetty\",\"version\":\"v9\"}\n";
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private ServerSocketChannel channel;
    private JettyApp app;
    private InetSocketAddress address;

    private void start(JettyConfig config) throws Exception {
        channel = ServerSocketChannel.open();
        toClose.add(channel);
        channel.bind(new InetSocketAddress("127.0.0.1", 0));
        address = (InetSocketAddress) channel.getLocalAddress();
        app = JettyApp.start(channel, ID, config);
        toClose.add(0, app); // stopped before the clients and the channel are closed
    }

    private void start() throws Exception {
        start(JettyConfig.defaults());
    }

    @AfterEach
    void closeAll() throws Exception {
        Exception first = null;
        for (AutoCloseable c : toClose) {
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private TestClient client() throws IOException {
        TestClient c = new TestClient(address);
        toClose.add(c);
        return c;
    }

    private static JettyConfig config(Duration stopTimeout, Duration drainIdle) {
        return new JettyConfig(stopTimeout, drainIdle, Duration.ofSeconds(60));
    }

    @Test
    void rootAnswersTheWorkersIdentityAsJson() throws Exception {
        start();
        TestClient.Reply r = client().get("/");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).isEqualTo("application/json");
        assertThat(r.header("Content-Length")).isEqualTo(String.valueOf(JSON.length()));
        assertThat(r.body()).isEqualTo(JSON);
    }

    @Test
    void keepAliveServesSeveralRequestsOnOneConnection() throws Exception {
        start();
        TestClient c = client();
        for (int i = 0; i < 5; i++) {
            TestClient.Reply r = c.get(i % 2 == 0 ? "/" : "/slow?ms=0");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("Connection")).isNull();
            assertThat(r.body()).isEqualTo(JSON);
        }
        assertThat(app.openConnections()).isEqualTo(1);
        assertThat(app.requestsServed()).isEqualTo(5);
    }

    @Test
    void slowWaitsTheGivenTime() throws Exception {
        start();
        long t0 = System.nanoTime();
        TestClient.Reply r = client().get("/slow?ms=300");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(JSON);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }

    @Test
    void badRequestsAreRefusedWithoutBreakingTheConnection() throws Exception {
        start();
        TestClient c = client();
        for (String bad : List.of("/slow", "/slow?ms=-1", "/slow?ms=60001", "/slow?ms=abc", "/slow?ms=1&ms=2")) {
            assertThat(c.get(bad).status()).as(bad).isEqualTo(400);
        }
        assertThat(c.get("/nope").status()).isEqualTo(404);
        TestClient.Reply post = c.send("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n").read();
        assertThat(post.status()).isEqualTo(405);
        assertThat(post.header("Allow")).isEqualTo("GET, HEAD");
        TestClient.Reply head = c.send("HEAD / HTTP/1.1\r\nHost: test\r\n\r\n").read(true);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("Content-Length")).isEqualTo(String.valueOf(JSON.length()));
        assertThat(c.get("/slow?ms=1&x=1").status()).isEqualTo(200);
    }

    @Test
    void drainFinishesRequestsInFlightAndServesKeepAliveRequestsWithConnectionClose() throws Exception {
        // a long drain idle timeout: the idle connection's next request is surely sent within it
        start(config(Duration.ofSeconds(20), Duration.ofSeconds(5)));
        TestClient idle = client();
        assertThat(idle.get("/").header("Connection")).isNull();
        TestClient slow = client().sendGet("/slow?ms=1500");
        await().atMost(WAIT).until(() -> app.inFlight() == 1);

        app.drain();
        assertThat(app.draining()).isTrue();

        // the listening channel is closed: nothing new is accepted here
        await().atMost(WAIT).until(() -> !channel.isOpen());
        assertThatThrownBy(() -> {
            try (Socket s = new Socket()) {
                s.connect(address, 2_000);
            }
        }).isInstanceOf(ConnectException.class);

        // a request on a keep-alive connection opened before the drain: served, not 503, then closed
        TestClient.Reply late = idle.get("/");
        assertThat(late.status()).isEqualTo(200);
        assertThat(late.body()).isEqualTo(JSON);
        assertThat(late.header("Connection")).isEqualToIgnoringCase("close");
        idle.awaitClosed();
        idle.close(); // as a real client does on Connection: close; Jetty then forgets the connection at once

        // the request in flight when the drain began completes normally, then its connection is closed
        TestClient.Reply r = slow.read();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(JSON);
        assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
        slow.awaitClosed();
        slow.close();

        JettyApp.DrainResult result = app.awaitStopped(WAIT);
        assertThat(result).isNotNull();
        assertThat(result.completed()).as("drain completed: %s", result).isTrue();
        // no connection was left to the 5 s drain idle timeout
        assertThat(result.millis()).isLessThan(Duration.ofSeconds(5).toMillis());
        assertThat(app.requestsServed()).isEqualTo(3);
    }

    @Test
    void drainClosesIdleKeepAliveConnectionsAfterTheDrainIdleTimeout() throws Exception {
        start(config(Duration.ofSeconds(20), Duration.ofMillis(300)));
        TestClient a = client();
        TestClient b = client();
        assertThat(a.get("/").status()).isEqualTo(200);
        assertThat(b.get("/").status()).isEqualTo(200);
        await().atMost(WAIT).until(() -> app.openConnections() == 2);

        long t0 = System.nanoTime();
        app.drain();
        a.awaitClosed();
        b.awaitClosed();
        JettyApp.DrainResult result = app.awaitStopped(WAIT);
        assertThat(result).isNotNull();
        assertThat(result.completed()).as("drain completed: %s", result).isTrue();
        // closed by the drain idle timeout, long before the stop timeout
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void drainWithNothingOpenEndsPromptlyAndIsIdempotent() throws Exception {
        start();
        app.drain();
        app.drain();
        JettyApp.DrainResult result = app.awaitStopped(WAIT);
        assertThat(result).isNotNull();
        assertThat(result.completed()).isTrue();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void stopTimeoutCutsOffARequestThatOutlivesIt() throws Exception {
        start(config(Duration.ofMillis(500), Duration.ofSeconds(5)));
        TestClient slow = client().sendGet("/slow?ms=30000");
        await().atMost(WAIT).until(() -> app.inFlight() == 1);

        app.drain();
        JettyApp.DrainResult result = app.awaitStopped(WAIT);
        assertThat(result).isNotNull();
        assertThat(result.completed()).isFalse();
        assertThat(result.problem()).contains("stop timeout");
        slow.awaitClosed();
    }
}
