package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Issue 3, must-show 2: the reload-under-load run with a real Jetty 12 worker that takes its socket from fd 0
 * through Jetty's inherited-channel support.
 */
class JettyReloadTest {

    @Test
    void twentyReloadsOfJettyWorkersUnderWrkLoseNothing() {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "4", "--"));
        args.addAll(Workers.jetty());
        try (Herd herd = Herd.start(dir, args)) {
            ReloadUnderLoadTest.ReloadRun.run(herd, dir, ReloadUnderLoadTest.RELOADS, "jetty");
        }
    }
}
