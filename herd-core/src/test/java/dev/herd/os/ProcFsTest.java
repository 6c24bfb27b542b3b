package dev.herd.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class ProcFsTest {
    @RegisterExtension
    final Children children = new Children();

    @TempDir
    Path dir;

    @Test
    void currentJvm() {
        int self = Processes.currentPid();
        assertThat(ProcFs.residentBytes(self).orElseThrow()).isGreaterThan(10L << 20);
        assertThat(ProcFs.cpuTime(self)).hasValueSatisfying(cpu -> assertThat(cpu).isPositive());
        assertThat(ProcFs.startTime(self).orElseThrow()).isPositive();
    }

    @Test
    void childAndThenGone() {
        int pid = children.spawn(List.of("sleep", "30"), dir.resolve("l"));
        await().atMost(Duration.ofSeconds(5)).until(() -> SpawnerTest.isExec(pid, "sleep"));
        assertThat(ProcFs.residentBytes(pid).orElseThrow()).isPositive();
        assertThat(ProcFs.cpuTime(pid)).isPresent();
        long start = ProcFs.startTime(pid).orElseThrow();
        assertThat(start).isGreaterThanOrEqualTo(ProcFs.startTime(Processes.currentPid()).orElseThrow());
        children.kill(pid);
        assertThat(ProcFs.residentBytes(pid)).isEmpty();
        assertThat(ProcFs.cpuTime(pid)).isEmpty();
        assertThat(ProcFs.startTime(pid)).isEmpty();
        assertThat(ProcFs.isAccepting(pid, 1)).isFalse();
    }

    @Test
    void socketInodeOfNonSocket() {
        assertThatThrownBy(() -> ProcFs.socketInode(100_000)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ProcFs.parseSocketInode("socket:[12345]")).isEqualTo(12345);
        assertThat(ProcFs.parseSocketInode("pipe:[12345]")).isEqualTo(-1);
    }
}
