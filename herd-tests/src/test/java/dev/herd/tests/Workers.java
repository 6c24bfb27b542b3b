package dev.herd.tests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Worker command lines for tests: the demo worker as an explicit command, and small shell/python workers. */
final class Workers {
    private Workers() {
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Classpath of the packaged demo worker (its jar and the worker library's, from the CLI's lib folder). */
    static String demoClasspath() {
        try (Stream<Path> jars = Files.list(Herd.LIB)) {
            return jars.filter(p -> p.getFileName().toString().matches("herd-(demo|worker)-.*\\.jar"))
                    .map(Path::toString).sorted().collect(Collectors.joining(":"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The demo worker as a command. */
    static List<String> demo() {
        return List.of(java(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", demoClasspath(),
                "dev.herd.examples.demo.DemoWorker");
    }

    /** The demo worker as a shell command line (for use inside {@code sh -c}). */
    static String demoShell() {
        return java() + " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp " + demoClasspath()
                + " dev.herd.examples.demo.DemoWorker";
    }

    /** The Netty example: its jar and its lib/ on the class path. */
    static List<String> netty() {
        Path target = Herd.HOME.resolve("herd-examples/netty/target");
        try (Stream<Path> jars = Files.list(target)) {
            String jar = jars.filter(p -> p.getFileName().toString().matches("herd-netty-example-.*\\.jar"))
                    .map(Path::toString).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no herd-netty-example jar in " + target));
            return List.of(java(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp",
                    jar + ":" + target.resolve("lib") + "/*", "dev.herd.examples.netty.NettyWorker");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The Jetty 12 example worker (herd-examples/jetty): its jar and its copied dependencies. */
    static List<String> jetty() {
        Path target = Herd.HOME.resolve("herd-examples/jetty/target");
        try (Stream<Path> jars = Files.list(target)) {
            String jar = jars.filter(p -> p.getFileName().toString().matches("herd-jetty-example-.*\\.jar"))
                    .map(Path::toString).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no herd-jetty-example jar in " + target));
            return List.of(java(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp",
                    jar + ":" + target.resolve("lib") + "/*", "dev.herd.examples.jetty.JettyWorker");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code sh -c SCRIPT}: the script runs as the worker (use exec to keep the pid). */
    static List<String> sh(String script) {
        return List.of("/bin/sh", "-c", script);
    }
}
