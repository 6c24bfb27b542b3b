package dev.herd.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herd.bench.ServerBases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 15, item 2: the real Tomcat distributions (11 and 10.1, from Maven Central, unpacked by the build),
 * unmodified but for the three edits of server.xml the README gives and herd-tomcat's jar in
 * {@code $CATALINA_BASE/lib}: a static web application served through 12 reloads (Tomcat 11; 5 on 10.1) under {@code wrk -t2 -c32}
 * keep-alive load with no socket error and no non-2xx answer (2 workers replaced together,
 * {@code --reload-batch 2}, so that every reload moves all 32 connections at once; wrk at the lowest CPU priority, so
 * that the new workers' JVMs start in seconds while it keeps both cores busy); started by hand (not by Herd) it binds its port as
 * usual and stops on SIGTERM.
 */
@Tag("distribution")
class TomcatDistributionTest {
    static final int RELOADS = 12;
    /** The older line (10.1) is a check that the connector works there too: fewer reloads keep CI in its time. */
    static final int OLDER_LINE_RELOADS = 5;
    private static final String PAGE = "<html><body>served by an unmodified Tomcat distribution</body></html>\n";

    static Stream<Path> homes() {
        String homes = System.getProperty("herd.tomcatHomes", "");
        return Arrays.stream(homes.split(",")).filter(s -> !s.isBlank()).map(Path::of);
    }

    /** A CATALINA_BASE: the distribution's conf with README's three server.xml edits, herd-tomcat's jar, one page. */
    static Path base(Path home, Path dir) throws IOException {
        assertThat(home.resolve("bin/catalina.sh")).as("Tomcat unpacked by the build (herd-tests/pom.xml)").exists();
        return ServerBases.catalinaBase(home, Herd.HOME.resolve("herd-tomcat/target/catalina-base/lib"),
                dir.resolve("catalina-base"), PAGE);
    }

    static Map<String, String> env(Path base) {
        return Map.of("CATALINA_BASE", base.toString(), "CATALINA_PID", "", "JAVA_HOME",
                Path.of(JettyDistributionTest.java()).getParent().getParent().toString(),
                // the options a small service would take: quick starts while wrk keeps both cores busy
                "CATALINA_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("homes")
    void reloadsUnderWrkLoseNothing(Path home) throws Exception {
        int reloads = home.equals(homes().findFirst().orElseThrow()) ? RELOADS : OLDER_LINE_RELOADS;
        Path dir = Herd.newDir();
        Path base = base(home, dir);
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--reload-batch", "2", "--"));
        args.addAll(List.of(home.resolve("bin/catalina.sh").toString(), "run"));
        try (Herd herd = Herd.start(dir, args, env(base))) {
            int port = herd.awaitPort();
            herd.awaitReady(2, Duration.ofSeconds(90));
            assertThat(Http.get(port, "/").body()).isEqualTo(PAGE);
            ReloadUnderLoadTest.ReloadRun.underWrk(herd, dir, reloads, "tomcat-distribution " + home.getFileName(), true);
            String logs = herd.workerLogs();
            assertThat(logs).contains("herd: serving on the listening socket Herd handed over (fd 0)")
                    .contains("herd: drained in");
        } finally {
            Shell.run("rm", "-rf", dir.toString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("homes")
    void startedByHandItBindsItsPortAsUsual(Path home) throws Exception {
        Path dir = Herd.newDir();
        Path base = base(home, dir);
        int port = Http.freePort();
        Path serverXml = base.resolve("conf/server.xml");
        Files.writeString(serverXml, Files.readString(serverXml).replace("<Connector port=\"8080\"",
                "<Connector port=\"" + port + "\" address=\"127.0.0.1\""));
        Path log = dir.resolve("by-hand.log");
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/catalina.sh").toString(), "run")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env(base));
        Process tomcat = builder.start();
        try {
            await("Tomcat started by hand answers").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .ignoreExceptions().until(() -> PAGE.equals(Http.get(port, "/").body()));
            assertThat(Files.readString(log)).contains("herd: no socket handed over (not started by Herd): bound port "
                    + port);
            Shell.run("kill", "-TERM", Long.toString(tomcat.pid()));
            assertThat(tomcat.waitFor(30, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
            assertThat(Files.readString(log)).contains("herd: drained in");
        } finally {
            tomcat.destroyForcibly();
            Shell.run("rm", "-rf", dir.toString());
        }
    }
}
