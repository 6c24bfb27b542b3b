package dev.herd.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ExitStatusTest {
    @Test
    void decodesExitCodeAndSignal() {
        ExitStatus exited = ExitStatus.fromWaitStatus(3 << 8);
        assertThat(exited).isEqualTo(new ExitStatus(3, 0));
        assertThat(exited.signaled()).isFalse();
        assertThat(exited.describe()).isEqualTo("exit code 3");

        ExitStatus killed = ExitStatus.fromWaitStatus(9);
        assertThat(killed).isEqualTo(new ExitStatus(0, 9));
        assertThat(killed.signaled()).isTrue();
        assertThat(killed.describe()).isEqualTo("signal 9 (KILL)");
        // core dump bit (0x80) does not change the signal
        assertThat(ExitStatus.fromWaitStatus(0x80 | 11).describe()).isEqualTo("signal 11");
    }

    @Test
    void rejectsStoppedStatus() {
        assertThatThrownBy(() -> ExitStatus.fromWaitStatus((19 << 8) | 0x7f))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void signalLookup() {
        assertThat(Signal.of(15)).isEqualTo(Signal.TERM);
        assertThat(Signal.WINCH.number()).isEqualTo(28);
        assertThatThrownBy(() -> Signal.of(99)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nativeExceptionNamesErrno() {
        NativeException e = new NativeException("bind", "127.0.0.1:80", 98);
        assertThat(e.errnoName()).isEqualTo("EADDRINUSE");
        assertThat(e.call()).isEqualTo("bind");
        assertThat(e.errno()).isEqualTo(98);
        assertThat(e.getMessage()).isEqualTo("bind(127.0.0.1:80) failed: EADDRINUSE (Address already in use)");
    }
}
