package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Issue 6, must-show 5: the reload-under-load run with a real Netty 4.2 worker whose NioServerSocketChannel wraps
 * the inherited socket.
 */
class NettyReloadTest {

    @Test
    void reloadsOfNettyWorkersUnderWrkLoseNothing() {
        Path dir = Herd.newDir();
        // 2 workers: each reload starts a Netty JVM per slot, and CI's 30 minutes are shared by every test
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--"));
        args.addAll(Workers.netty());
        try (Herd herd = Herd.start(dir, args)) {
            ReloadUnderLoadTest.ReloadRun.run(herd, dir, 2, 10, "netty");
        }
    }
}
