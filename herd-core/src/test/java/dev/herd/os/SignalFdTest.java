package dev.herd.os;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The signalfd is read by a thread that polls other descriptors too (the worker watch), so a read must never wait
 * for a signal. Taking a pending signal needs the signal blocked in every thread, which a test JVM is not started
 * with: the end-to-end tests (bin/herd blocks them) cover that.
 */
class SignalFdTest {
    @Test
    @Timeout(10)
    void withNoSignalPendingAReadReturnsAtOnceWithNone() {
        // WINCH: never sent to this JVM by anyone, and not blocked here, so it cannot be pending
        try (SignalFd signals = SignalFd.open(List.of(Signal.WINCH))) {
            assertThat(signals.fd()).isNotNegative();
            assertThat(signals.poll()).isEmpty();
            assertThat(Poller.awaitReadable(new int[] {signals.fd()}, 0)).containsExactly(false);
        }
    }

    @Test
    void closingTwiceClosesOnce() {
        SignalFd signals = SignalFd.open(List.of(Signal.WINCH));
        signals.close();
        signals.close();
    }
}
