package dev.herd.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class PidFdTest {
    @RegisterExtension
    final Children children = new Children();

    @TempDir
    Path dir;

    @Test
    void seesAnExit() {
        int pid = children.spawn(List.of("sleep", "0.2"), dir.resolve("l"));
        try (PidFd pidFd = PidFd.open(pid)) {
            assertThat(pidFd.fd()).isGreaterThan(2);
            assertThat(pidFd.awaitExit(Duration.ofSeconds(10))).isTrue();
            assertThat(children.waitFor(pid).code()).isZero();
        }
    }

    @Test
    void timesOutOnALiveProcess() {
        int pid = children.spawn(List.of("sleep", "30"), dir.resolve("l"));
        PidFd pidFd = PidFd.open(pid);
        try {
            long start = System.nanoTime();
            assertThat(pidFd.awaitExit(Duration.ofMillis(100))).isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(100));
            children.kill(pid);
            assertThat(pidFd.awaitExit(Duration.ofSeconds(5))).isTrue();
        } finally {
            pidFd.close();
            pidFd.close();
        }
    }

    @Test
    void openingAGoneProcessFails() {
        int pid = children.spawn(List.of("true"), dir.resolve("l"));
        children.waitFor(pid);
        assertThatThrownBy(() -> PidFd.open(pid))
                .isInstanceOfSatisfying(NativeException.class, e -> {
                    assertThat(e.errnoName()).isEqualTo("ESRCH");
                    assertThat(e.getMessage()).startsWith("pidfd_open(" + pid + ")");
                });
    }
}
