package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Issue 3, must-show 2: the reload-under-load run with a real Jetty 12 worker that takes its socket from fd 0
 * through Jetty's inherited-channel support; two of the four slots replaced at a time ({@code --reload-batch 2}), so
 * that each reload moves half the connections at once (and the run takes half as long). Ten reloads: the Jetty
 * distribution's test runs twenty of an unmodified Jetty, this one shows the example's own drain.
 */
class JettyReloadTest {

    @Test
    void reloadsOfJettyWorkersUnderWrkLoseNothing() {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "4", "--reload-batch", "2", "--"));
        args.addAll(Workers.jetty());
        try (Herd herd = Herd.start(dir, args)) {
            ReloadUnderLoadTest.ReloadRun.run(herd, dir, 10, "jetty");
        }
    }
}
