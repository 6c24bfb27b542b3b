package dev.herd.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Herd running the servers people run, each as it ships plus Herd's integration for it (the README's recipes): the
 * Jetty distribution with the {@code herd} module, the Tomcat 11 distribution with {@code herd-tomcat}, and the
 * Spring Boot example application with {@code herd-spring-boot-starter}. The distributions serve a small static
 * page; the Boot application answers from its controller.
 * The distributions are the ones the end-to-end tests use, unpacked by the build under {@code herd-tests/target}.
 */
final class ServerTargets {
    static final String PAGE = "hello\n";
    /** The options a small service takes: quick starts on a 2-core machine (the tests use the same). */
    private static final List<String> JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    private ServerTargets() {
    }

    static HerdTarget jettyDistribution(Path root, Path work, int workers, Duration reloadTimeout) throws Exception {
        Path home = unpacked(root.resolve("herd-tests/target/jetty-home"), "jetty-home-");
        Path base = Files.createDirectories(work.resolve("jetty-base"));
        ServerBases.copyTree(root.resolve("herd-jetty/target/jetty-base"), base);
        List<String> start = List.of(java(), "-jar", home.resolve("start.jar").toString(), "jetty.home=" + home,
                "jetty.base=" + base);
        Process added = new ProcessBuilder(concat(start, List.of("--add-modules=http,ee10-deploy,herd")))
                .redirectErrorStream(true).redirectOutput(work.resolve("jetty-add-modules.log").toFile()).start();
        if (!Procs.awaitExit(List.of(added.toHandle()), Duration.ofSeconds(60))) {
            added.destroyForcibly();
            throw new IllegalStateException("Jetty's --add-modules did not finish in 60 s: see "
                    + work.resolve("jetty-add-modules.log"));
        }
        if (added.exitValue() != 0) {
            throw new IllegalStateException("Jetty's --add-modules failed: see " + work.resolve("jetty-add-modules.log"));
        }
        Path page = Files.createDirectories(base.resolve("webapps/root")).resolve("index.html");
        Files.writeString(page, PAGE);
        List<String> command = concat(List.of("--", java()), JVM_OPTIONS, start.subList(1, start.size()));
        return new HerdTarget("herd-jetty-dist", root, work, workers, reloadTimeout, command, List.of());
    }

    static HerdTarget tomcatDistribution(Path root, Path work, int workers, Duration reloadTimeout) throws Exception {
        Path home = unpacked(root.resolve("herd-tests/target/tomcat"), "apache-tomcat-11.");
        Path base = ServerBases.catalinaBase(home, root.resolve("herd-tomcat/target/catalina-base/lib"),
                work.resolve("catalina-base"), PAGE);
        Map<String, String> environment = Map.of("CATALINA_BASE", base.toString(), "CATALINA_PID", "",
                "JAVA_HOME", System.getProperty("java.home"), "CATALINA_OPTS", String.join(" ", JVM_OPTIONS));
        return new HerdTarget("herd-tomcat-dist", root, work, workers, reloadTimeout,
                List.of("--", home.resolve("bin/catalina.sh").toString(), "run"), List.of(), environment);
    }

    /** The example application as Boot's plugin packs it, run as most users run one: {@code java -jar}. */
    static HerdTarget springBoot(Path root, Path work, int workers, Duration reloadTimeout) throws Exception {
        Path target = root.resolve("herd-examples/spring-boot/target");
        Path jar;
        try (Stream<Path> files = Files.list(target)) {
            jar = files.filter(f -> f.getFileName().toString().matches("herd-boot-example-[0-9].*\\.jar"))
                    .findFirst().orElseThrow(() -> new IllegalStateException("no herd-boot-example jar in " + target
                            + ": build with ./mvnw package"));
        }
        Path tmp = Files.createDirectories(work.resolve("tmp"));
        List<String> command = concat(List.of("--", java()), JVM_OPTIONS,
                List.of("-Djava.io.tmpdir=" + tmp, "-jar", jar.toString()));
        return new HerdTarget("herd-boot", root, work, workers, reloadTimeout, command, List.of());
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static Path unpacked(Path dir, String prefix) throws IOException {
        if (Files.isDirectory(dir)) {
            try (Stream<Path> entries = Files.list(dir)) {
                var found = entries.filter(p -> p.getFileName().toString().startsWith(prefix)).findFirst();
                if (found.isPresent()) {
                    return found.get();
                }
            }
        }
        throw new IllegalStateException("no " + prefix + "* in " + dir + ": the build unpacks it"
                + " (./mvnw -q install -DskipTests)");
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> part : parts) {
            all.addAll(part);
        }
        return List.copyOf(all);
    }
}
