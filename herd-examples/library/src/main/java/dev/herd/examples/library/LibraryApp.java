package dev.herd.examples.library;

import dev.herd.Access;
import dev.herd.ApiSpec;
import dev.herd.Command;
import dev.herd.Event;
import dev.herd.Herd;
import dev.herd.examples.demo.DemoWorker;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A service that is its own cluster (library mode): this one {@code main} is the master and, started again by
 * it, every worker. Each worker serves the demo HTTP server (answering with its slot, pid and generation); the
 * master counts worker events and offers two commands of its own, {@code hello NAME} and {@code stats}.
 *
 * <pre>
 * java -jar herd-library-example.jar [--workers N] [--port P] [--state-dir DIR] [--api-port P] [--standalone]
 * </pre>
 * {@code --standalone} runs one server in this process, no master (it binds {@code $PORT}, default 8080).
 */
public final class LibraryApp {
    private LibraryApp() {
    }

    public static void main(String[] args) {
        Options options = Options.parse(args);
        AtomicInteger ready = new AtomicInteger();
        AtomicInteger exited = new AtomicInteger();
        Herd.Builder cluster = Herd.cluster()
                .workers(options.workers).port(options.port).host("127.0.0.1")
                .api(new ApiSpec(true, "127.0.0.1", options.apiPort, null, false, null))
                .onEvent(event -> {
                    switch (event) {
                        case Event.WorkerReady r -> ready.incrementAndGet();
                        case Event.WorkerExited e -> exited.incrementAndGet();
                        default -> { }
                    }
                })
                .command(new Command("hello", Access.REMOTE, "hello NAME", "greets NAME from the master", words -> {
                    if (words.size() != 1) {
                        throw new IllegalArgumentException("hello needs one name");
                    }
                    return Map.of("greeting", "hello " + words.getFirst() + " from the master, pid "
                            + ProcessHandle.current().pid());
                }))
                .command(new Command("stats", Access.REMOTE, "stats", "worker events the application counted",
                        words -> {
                            Map<String, Object> stats = new LinkedHashMap<>();
                            stats.put("workersReady", ready.get());
                            stats.put("workersExited", exited.get());
                            return stats;
                        }))
                .worker(() -> DemoWorker.main(new String[0]))
                .cluster(!options.standalone);
        if (options.stateDir != null) {
            cluster.stateDir(options.stateDir);
        }
        System.exit(cluster.run(args));
    }

    /** The few settings this example takes from its command line (workers ignore them). */
    private record Options(int workers, int port, Path stateDir, int apiPort, boolean standalone) {
        static Options parse(String[] args) {
            int workers = 2;
            int port = 8080;
            int apiPort = ApiSpec.DEFAULT_PORT;
            Path stateDir = null;
            boolean standalone = false;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--workers" -> workers = Integer.parseInt(value(args, ++i));
                    case "--port" -> port = Integer.parseInt(value(args, ++i));
                    case "--api-port" -> apiPort = Integer.parseInt(value(args, ++i));
                    case "--state-dir" -> stateDir = Path.of(value(args, ++i));
                    case "--standalone" -> standalone = true;
                    default -> throw new IllegalArgumentException("unknown option " + args[i]
                            + "; use --workers N, --port P, --api-port P, --state-dir DIR, --standalone");
                }
            }
            return new Options(workers, port, stateDir, apiPort, standalone);
        }

        private static String value(String[] args, int i) {
            if (i >= args.length) {
                throw new IllegalArgumentException(args[i - 1] + " needs a value");
            }
            return args[i];
        }
    }
}
