package dev.herd.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.Closeable;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The local socket's cap and request timeout, on a fake clock and fake connections. */
class LocalConnectionsTest {
    static final class Connection implements Closeable {
        boolean closed;

        @Override
        public void close() {
            closed = true;
        }
    }

    private final AtomicLong now = new AtomicLong();
    private final LocalConnections<Connection> connections =
            new LocalConnections<>(2, Duration.ofSeconds(5), now::get);

    @Test
    void atTheCapTheConnectionWaitingLongestMakesRoom() {
        Connection first = new Connection();
        Connection second = new Connection();
        Connection third = new Connection();
        assertThat(connections.admit(first)).isTrue();
        now.addAndGet(1);
        assertThat(connections.admit(second)).isTrue();
        assertThat(connections.admit(third)).isTrue();
        assertThat(first.closed).isTrue();
        assertThat(second.closed).isFalse();
        connections.closed(first); // its reader notices: counted once only
        assertThat(connections.open()).isEqualTo(2);
    }

    @Test
    void busyConnectionsAreNeverEvictedAndANewOneIsRefusedWhenAllAreBusy() {
        Connection following = new Connection();
        Connection running = new Connection();
        connections.admit(following);
        connections.admit(running);
        connections.busy(following);
        connections.busy(running);
        assertThat(connections.admit(new Connection())).isFalse();
        assertThat(following.closed || running.closed).isFalse();
        assertThat(connections.open()).isEqualTo(2);
    }

    @Test
    void aConnectionWaitingBeyondTheTimeoutIsClosedAndTheTimeoutRestartsAfterEachAnswer() {
        Connection silent = new Connection();
        Connection served = new Connection();
        connections.admit(silent);
        connections.admit(served);
        now.addAndGet(Duration.ofSeconds(4).toNanos());
        connections.busy(served);
        connections.waiting(served); // answered: a new request may take 5 s again
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(connections.closeOverdue()).isEqualTo(1);
        assertThat(silent.closed).isTrue();
        assertThat(served.closed).isFalse();
        now.addAndGet(Duration.ofSeconds(4).toNanos());
        assertThat(connections.closeOverdue()).isEqualTo(1);
        assertThat(served.closed).isTrue();
    }

    @Test
    void theOverdueCheckSleepsUntilAConnectionWaitsForARequestLine() throws InterruptedException {
        Thread check = Thread.ofPlatform().start(() -> {
            try {
                connections.awaitWaiting(() -> false);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> check.getState() == Thread.State.WAITING);
            connections.admit(new Connection());
            await().atMost(Duration.ofSeconds(10)).until(() -> !check.isAlive());
        } finally {
            check.interrupt();
            check.join(10_000);
        }
    }

    @Test
    void theOverdueCheckStopsWhenWokenWithItsStopConditionHeld() throws InterruptedException {
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread check = Thread.ofPlatform().start(() -> {
            try {
                connections.awaitWaiting(stop::get);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> check.getState() == Thread.State.WAITING);
            stop.set(true);
            connections.wake();
            await().atMost(Duration.ofSeconds(10)).until(() -> !check.isAlive());
        } finally {
            check.interrupt();
            check.join(10_000);
        }
    }
}
