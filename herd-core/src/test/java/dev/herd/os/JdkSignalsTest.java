package dev.herd.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class JdkSignalsTest {
    @Test
    void theHandlerRunsWhenTheSignalArrives() throws InterruptedException {
        CountDownLatch caught = new CountDownLatch(1);
        JdkSignals.handle("WINCH", caught::countDown); // WINCH: ignored by default, harmless to this test JVM
        assertThat(Processes.signal((int) ProcessHandle.current().pid(), Signal.WINCH)).isTrue();
        assertThat(caught.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void anUnknownSignalIsRefusedAsTheJdkRefusesIt() {
        assertThatThrownBy(() -> JdkSignals.handle("NOSUCHSIGNAL", () -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NOSUCHSIGNAL");
    }
}
