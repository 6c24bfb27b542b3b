package dev.herd.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 15, item 3: a real Spring Boot 4 application ({@code herd-examples/spring-boot}: Boot's own parent,
 * {@code spring-boot-starter-webmvc}, one controller; built into an executable jar by Boot's Maven plugin) with
 * Herd's starter as its only Herd line, on its default embedded Tomcat and, with the swap Boot's documentation
 * describes, on embedded Jetty ({@code herd-examples/spring-boot-jetty}). Under Herd (deployed as Boot's documentation
 * advises for quick starts: extracted, with a class data sharing archive) it serves through 8 reloads
 * under {@code wrk -t2 -c32} keep-alive load with no socket error and no non-2xx answer; started by hand it binds
 * {@code server.port} and shows no sign of Herd; in proxy mode it binds the private port Herd gives it.
 */
@Tag("distribution")
class SpringBootStarterTest {
    /**
     * 8, not 20 as at first nor 12 as later: the e2e suite must stay well inside CI's 30 minutes on 2 cores (each
     * reload of this application takes 8-9 s there).
     */
    static final int RELOADS = 8;
    /** Jetty is the variant (the same application, another embedded server): fewer reloads keep CI in its time. */
    static final int JETTY_RELOADS = 6;
    private static final String PAGE = "served by Spring Boot\n";

    /** The application's two builds. */
    enum Server {
        TOMCAT("spring-boot", "herd-boot-example"),
        JETTY("spring-boot-jetty", "herd-boot-jetty-example");

        private final String module;
        private final String artifact;

        Server(String module, String artifact) {
            this.module = module;
            this.artifact = artifact;
        }

        /** The executable jar {@code spring-boot-maven-plugin} made. */
        Path jar() throws IOException {
            Path target = Herd.HOME.resolve("herd-examples").resolve(module).resolve("target");
            try (Stream<Path> files = Files.list(target)) {
                List<Path> jars = files.filter(f -> f.getFileName().toString().matches(artifact + "-[0-9].*\\.jar"))
                        .toList();
                assertThat(jars).as("one executable jar of " + artifact + " in " + target + " (./mvnw package)")
                        .hasSize(1);
                return jars.get(0);
            }
        }

        /**
         * {@code java -jar} with the options a small service takes (quick starts on this 2-core machine), and
         * {@code tmp} as its temporary directory (where the embedded server makes its work directories), so that the
         * test removes them with its own.
         */
        List<String> command(Path tmp, String... args) throws IOException {
            return command(jar(), List.of(tmpdir(tmp)), args);
        }

        private static String tmpdir(Path tmp) throws IOException {
            return "-Djava.io.tmpdir=" + Files.createDirectories(tmp);
        }

        /**
         * The way Boot's documentation deploys for a quick start, which every reload repeats: the jar extracted
         * ({@code -Djarmode=tools extract}) and a class data sharing archive made by one training run that exits
         * after the context refreshed. The application starts in about 1.2 s instead of 3 s here.
         */
        List<String> extractedWithCds() throws IOException, InterruptedException {
            if (extracted.containsKey(this)) {
                return extracted.get(this);
            }
            Path dir = Herd.newDir().resolve(module);
            made.add(dir.getParent());
            Shell.Result extract = Shell.run(List.of(JettyDistributionTest.java(), "-Djarmode=tools", "-jar",
                    jar().toString(), "extract", "--destination", dir.toString()));
            assertThat(extract.code()).as(extract.output()).isZero();
            Path app = dir.resolve(jar().getFileName());
            Path archive = dir.resolve("application.jsa");
            String tmp = tmpdir(dir.resolve("tmp"));
            Shell.Result training = Shell.run(command(app, List.of(tmp, "-XX:ArchiveClassesAtExit=" + archive,
                    "-Dspring.context.exit=onRefresh")));
            assertThat(training.code()).as(training.output()).isZero();
            assertThat(archive).exists();
            extracted.put(this, command(app, List.of(tmp, "-XX:SharedArchiveFile=" + archive)));
            return extracted.get(this);
        }

        private static List<String> command(Path jar, List<String> options, String... args) {
            List<String> command = new ArrayList<>(List.of(JettyDistributionTest.java(), "-XX:TieredStopAtLevel=1",
                    "-XX:+UseSerialGC"));
            command.addAll(options);
            command.addAll(List.of("-jar", jar.toString()));
            command.addAll(List.of(args));
            return command;
        }
    }

    private static final Map<Server, List<String>> extracted = new EnumMap<>(Server.class);
    /** The directories {@link Server#extractedWithCds} made, removed whether or not it succeeded. */
    private static final List<Path> made = new ArrayList<>();

    @AfterAll
    static void removeExtracted() {
        for (Path dir : made) {
            Shell.run("rm", "-rf", dir.toString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Server.class)
    void reloadsUnderWrkLoseNothing(Server server) throws Exception {
        int reloads = server == Server.JETTY ? JETTY_RELOADS : RELOADS;
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "2", "--reload-batch", "2", "--"));
        args.addAll(server.extractedWithCds());
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            herd.awaitReady(2, Duration.ofSeconds(90));
            assertThat(Http.get(port, "/").body()).isEqualTo(PAGE);
            ReloadUnderLoadTest.ReloadRun.underWrk(herd, dir, reloads, "spring-boot " + server, true);
            String logs = herd.workerLogs();
            assertThat(logs).contains("herd: serving on the listening socket Herd handed over (fd 0)");
            assertDrainedBeforeSpringsGracefulShutdown(logs, reloads);
        } finally {
            Shell.run("rm", "-rf", dir.toString());
        }
    }

    /**
     * Every worker that stopped ran the starter's drain and then Spring's own graceful shutdown, in that order: the
     * starter runs before it and leaves it in place. (A worker's log holds its generations one after the other.)
     */
    private static void assertDrainedBeforeSpringsGracefulShutdown(String logs, int reloads) {
        boolean drained = false;
        int shutdowns = 0;
        for (String line : logs.split("\n")) {
            if (line.contains("herd: drained in")) {
                drained = true;
            } else if (line.contains("Commencing graceful shutdown")) {
                assertThat(drained).as("the drain ran before Spring's graceful shutdown: " + line).isTrue();
                drained = false;
                shutdowns++;
            }
        }
        assertThat(shutdowns).as("Spring's graceful shutdowns in the workers' logs").isGreaterThanOrEqualTo(reloads);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Server.class)
    void startedByHandItChangesNothing(Server server) throws Exception {
        Path dir = Herd.newDir();
        int port = Http.freePort();
        Path log = dir.resolve("by-hand.log");
        ProcessBuilder builder = new ProcessBuilder(server.command(dir.resolve("tmp"), "--server.port=" + port,
                "--server.address=127.0.0.1")).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("HERD_"));
        Process boot = builder.start();
        try {
            await("the application started by hand answers").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                    .until(() -> PAGE.equals(Http.get(port, "/").body()));
            Shell.run("kill", "-TERM", Long.toString(boot.pid()));
            assertThat(boot.waitFor(30, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
            String output = Files.readString(log);
            assertThat(output).contains((server == Server.TOMCAT ? "Tomcat" : "Jetty") + " started on port " + port)
                    .doesNotContain("herd:").doesNotContain("herd-http-nio").doesNotContain("HerdConnector");
        } finally {
            boot.destroyForcibly();
            Shell.run("rm", "-rf", dir.toString());
        }
    }

    @Test
    void inProxyModeItBindsThePrivatePortHerdGivesIt() throws Exception {
        Path dir = Herd.newDir();
        List<String> args = new ArrayList<>(Herd.runArgs(dir, "--workers", "1", "--mode", "proxy", "--"));
        args.addAll(Server.TOMCAT.command(dir.resolve("tmp")));
        try (Herd herd = Herd.start(dir, args)) {
            int port = herd.awaitPort();
            herd.awaitReady(1, Duration.ofSeconds(90));
            assertThat(Http.get(port, "/").body()).isEqualTo(PAGE);
            String logs = herd.workerLogs();
            assertThat(logs).contains("herd: no socket handed over: binding server.port as configured")
                    .containsPattern("Tomcat started on port \\d+ \\(http\\)")
                    .doesNotContain("Tomcat started on port 8080");
        } finally {
            Shell.run("rm", "-rf", dir.toString());
        }
    }
}
