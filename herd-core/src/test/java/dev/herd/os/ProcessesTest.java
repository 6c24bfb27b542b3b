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

class ProcessesTest {
    @RegisterExtension
    final Children children = new Children();

    @TempDir
    Path dir;

    @Test
    void termKillsASleep() {
        int pid = children.spawn(List.of("sleep", "30"), dir.resolve("l"));
        assertThat(Processes.isAlive(pid)).isTrue();
        assertThat(Processes.poll(pid)).isEmpty();
        assertThat(Processes.signal(pid, Signal.TERM)).isTrue();
        ExitStatus status = children.waitFor(pid);
        assertThat(status).isEqualTo(new ExitStatus(0, 15));
        assertThat(status.describe()).isEqualTo("signal 15 (TERM)");
        assertThat(Processes.isAlive(pid)).isFalse();
        assertThat(Processes.signal(pid, Signal.TERM)).isFalse();
    }

    @Test
    void pollReapsAnExitedChild() {
        int pid = children.spawn(List.of("/bin/sh", "-c", "exit 7"), dir.resolve("l"));
        await().atMost(Duration.ofSeconds(5)).until(() -> Processes.poll(pid).isPresent()
                || !Processes.isAlive(pid));
        // poll reaped it: a second wait has no child to wait for.
        assertThatThrownBy(() -> Processes.waitFor(pid))
                .isInstanceOfSatisfying(NativeException.class, e -> {
                    assertThat(e.errnoName()).isEqualTo("ECHILD");
                    assertThat(e.getMessage()).startsWith("waitpid(" + pid + ")");
                });
    }

    @Test
    void anyChildExitedSeesAZombieWithoutReapingIt() {
        int pid = children.spawn(List.of("sleep", "30"), dir.resolve("l"));
        assertThat(Processes.anyChildExited()).isFalse(); // a child, running
        Processes.signal(pid, Signal.KILL);
        await().atMost(Duration.ofSeconds(5)).until(Processes::anyChildExited);
        assertThat(Processes.anyChildExited()).isTrue(); // looked at twice, still there
        assertThat(children.waitFor(pid).signal()).isEqualTo(9); // its status was left for its own waiter
        assertThat(Processes.anyChildExited()).isFalse();
    }

    @Test
    void pollReturnsTheExitCode() {
        int pid = children.spawn(List.of("/bin/sh", "-c", "exit 7"), dir.resolve("l"));
        ExitStatus[] seen = new ExitStatus[1];
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            Processes.poll(pid).ifPresent(s -> seen[0] = s);
            return seen[0] != null;
        });
        assertThat(seen[0]).isEqualTo(new ExitStatus(7, 0));
    }

    @Test
    void signalGroupReachesTheWholeSession() {
        // The worker is a session and group leader (setsid): its children share the group.
        int pid = children.spawn(List.of("/bin/sh", "-c", "sleep 30 & wait"), dir.resolve("l"));
        assertThat(Processes.signalGroup(pid, Signal.KILL)).isTrue();
        assertThat(children.waitFor(pid).signal()).isEqualTo(9);
        await().atMost(Duration.ofSeconds(5)).until(() -> !Processes.signalGroup(pid, Signal.CONT));
    }

    @Test
    void currentPidIsTheJvm() {
        assertThat(Processes.currentPid()).isEqualTo((int) ProcessHandle.current().pid());
    }
}
