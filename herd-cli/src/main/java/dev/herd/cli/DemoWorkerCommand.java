package dev.herd.cli;

import dev.herd.examples.demo.DemoWorker;
import dev.herd.worker.Worker;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

/**
 * The command line of the bundled demo worker: the master's own JDK, the demo and worker-library jars found
 * where the CLI loaded them from, and JVM flags that make a small worker start fast.
 */
final class DemoWorkerCommand {
    private DemoWorkerCommand() {
    }

    static List<String> argv() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = location(DemoWorker.class) + File.pathSeparator + location(Worker.class);
        return List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xms32m", "-Xmx128m",
                "-cp", classpath, DemoWorker.class.getName());
    }

    private static String location(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the jar of " + type.getName(), e);
        }
    }
}
