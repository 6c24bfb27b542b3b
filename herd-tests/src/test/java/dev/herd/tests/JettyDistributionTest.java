package dev.herd.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herd.bench.ServerBases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, item 1: the real Jetty distribution (jetty-home from Maven Central, unpacked by the build), unmodified,
 * with Herd's Jetty module dropped into its base ({@code herd-jetty/target/jetty-base}) and enabled with
 * {@code --add-modules=herd}: it serves a plain web application through 12 reloads under {@code wrk -t2 -c32}
 * keep-alive load with no socket error and no non-2xx answer (2 workers replaced together,
 * {@code --reload-batch 2}, so that every reload moves all 32 connections at once; wrk at the lowest CPU priority, so
 * that the new workers' JVMs start in seconds while it keeps both cores busy), and started by hand (not by Herd) it binds its port as
 * usual.
 */
@Tag("distribution")
class JettyDistributionTest {
    static final int RELOADS = 12;
    private static final String PAGE = "<html><body>served by an unmodified Jetty distribution</body></html>\n";

    private static Path jettyHome;
    private static Path work;
    private static Path base;

    @BeforeAll
    static void makeBase() throws Exception {
        jettyHome = Path.of(System.getProperty("herd.jettyHome", "target/jetty-home/none")).toAbsolutePath();
        assertThat(jettyHome.resolve("start.jar")).as("jetty-home unpacked by the build (herd-tests/pom.xml)").exists();
        work = Herd.newDir();
        base = work.resolve("jetty-base");
        Files.createDirectories(base);
        ServerBases.copyTree(Herd.HOME.resolve("herd-jetty/target/jetty-base"), base);
        Shell.Result added = Shell.run(List.of(java(), "-jar", jettyHome.resolve("start.jar").toString(),
                "jetty.home=" + jettyHome, "jetty.base=" + base, "--add-modules=http,ee10-deploy,herd"));
        assertThat(added.code()).as(added.output()).isZero();
        Path root = base.resolve("webapps/root");
        Files.createDirectories(root);
        Files.writeString(root.resolve("index.html"), PAGE);
    }

    @AfterAll
    static void removeBase() {
        if (work != null) {
            Shell.run("rm", "-rf", work.toString());
        }
    }

    /** The Jetty the test runs: Java 17 when this machine has one (herd-jetty targets it), else the tests' own. */
    static String java() {
        try (Stream<Path> jdks = Files.list(Path.of("/usr/lib/jvm"))) {
            return jdks.filter(p -> p.getFileName().toString().matches(".*-17(-.*|\\.\\d.*)?"))
                    .map(p -> p.resolve("bin/java")).filter(Files::isExecutable).map(Path::toString)
                    .sorted().findFirst().orElseGet(Workers::java);
        } catch (IOException e) {
            return Workers.java();
        }
    }

    private static List<String> jetty(String... extra) {
        // the JVM options a small service would take (Jetty's start.jar runs the server in this JVM): quick starts
        // on this 2-core machine while wrk keeps both cores busy
        List<String> command = new ArrayList<>(List.of(java(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-jar", jettyHome.resolve("start.jar").toString(),
                "jetty.home=" + jettyHome, "jetty.base=" + base));
        command.addAll(List.of(extra));
        return command;
    }

    @Test
    void reloadsUnderWrkLoseNothing() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--reload-batch", "2", "--"));
        args.addAll(jetty());
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            herd.awaitReady(2, Duration.ofSeconds(90));
            Http.Response page = Http.get(port, "/");
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.body()).isEqualTo(PAGE);
            ReloadUnderLoadTest.ReloadRun.underWrk(herd, dir, RELOADS, "jetty-distribution", true);
            String logs = herd.workerLogs();
            assertThat(logs).contains("herd: serving on the listening socket Herd handed over (fd 0)")
                    .contains("herd: drained in").doesNotContain("cut off");
        }
    }

    @Test
    void startedByHandItBindsItsPortAsUsual() throws Exception {
        int port = Http.freePort();
        Path log = work.resolve("by-hand.log");
        Process jetty = new ProcessBuilder(jetty("jetty.http.host=127.0.0.1", "jetty.http.port=" + port))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            await("Jetty started by hand answers").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .ignoreExceptions().until(() -> PAGE.equals(Http.get(port, "/").body()));
            assertThat(Files.readString(log)).contains("herd: no socket handed over (not started by Herd): binding");
            Shell.run("kill", "-TERM", Long.toString(jetty.pid()));
            assertThat(jetty.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
            assertThat(Files.readString(log)).contains("herd: drained in");
        } finally {
            jetty.destroyForcibly();
        }
    }

}
