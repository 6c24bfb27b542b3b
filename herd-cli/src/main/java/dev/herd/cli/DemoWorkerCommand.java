package dev.herd.cli;

import dev.herd.examples.demo.DemoWorker;
import dev.herd.worker.Worker;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of the bundled demo worker: the master's own JDK, the demo and worker-library jars found
 * where the CLI loaded them from, and JVM flags that make a small worker start fast.
 *
 * <p>Where {@code bin/herd} made one after a build ({@code herd-demo.aot} beside {@code herd.jar}), the worker starts
 * from a JDK AOT cache of its own: the classes it loads, already parsed and linked, which halves its start-up CPU
 * (docs/benchmarks.md, "Master footprint"). It is offered only while it is newer than both jars and than the JDK's
 * {@code lib/modules}; a cache the JVM refuses anyway only costs that speed, and its complaints stay out of the
 * worker's log. {@code HERD_DEMO_AOT_OUTPUT} (bin/herd's training run) makes the worker write the cache instead.
 */
final class DemoWorkerCommand {
    static final String CACHE_NAME = "herd-demo.aot";
    static final String TRAINING_OUTPUT = "HERD_DEMO_AOT_OUTPUT";

    private DemoWorkerCommand() {
    }

    static List<String> argv() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path demo = location(DemoWorker.class);
        Path worker = location(Worker.class);
        List<String> argv = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xms32m",
                "-Xmx128m"));
        String training = System.getenv(TRAINING_OUTPUT);
        if (training != null && !training.isBlank()) {
            argv.add("-XX:AOTCacheOutput=" + training);
        } else if (!"0".equals(System.getenv("HERD_AOT"))) {
            Path cache = location(DemoWorkerCommand.class).resolveSibling(CACHE_NAME);
            if (fresh(cache, List.of(demo, worker, Path.of(System.getProperty("java.home"), "lib", "modules")))) {
                argv.addAll(List.of("-XX:AOTCache=" + cache, "-Xlog:aot=off", "-Xlog:cds=off"));
            }
        }
        argv.addAll(List.of("-cp", demo + File.pathSeparator + worker, DemoWorker.class.getName()));
        return List.copyOf(argv);
    }

    /** The cache exists and is newer than every one of {@code sources}. */
    static boolean fresh(Path cache, List<Path> sources) {
        try {
            FileTime made = Files.getLastModifiedTime(cache);
            for (Path source : sources) {
                if (Files.getLastModifiedTime(source).compareTo(made) >= 0) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false; // no cache (or a source that cannot be read): start without one
        }
    }

    private static Path location(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the jar of " + type.getName(), e);
        }
    }
}
