package dev.herd.examples.library;

import dev.herd.Access;
import dev.herd.ApiSpec;
import dev.herd.Command;
import dev.herd.Event;
import dev.herd.Herd;
import dev.herd.examples.demo.DemoWorker;
import dev.herd.worker.Worker;

import java.nio.file.Path;
import java.time.Duration;
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
        AtomicInteger messages = new AtomicInteger();
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
                            stats.put("messagesFromWorkers", messages.get());
                            return stats;
                        }))
                .delegate("config", (slot, payload, notify) -> {
                    // read once in the master; a change is pushed to the worker later
                    Thread.ofVirtual().start(() -> {
                        try {
                            Thread.sleep(300);
                            notify.accept("color=green");
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    return "color=blue for slot " + slot + " (" + payload + ")";
                })
                .delegate("slow", (slot, payload, notify) -> {
                    Thread.sleep(3000); // longer than the worker waits
                    return "too late";
                })
                .onMessage((slot, pid, payload) -> messages.incrementAndGet())
                .worker(LibraryApp::worker)
                .cluster(!options.standalone);
        if (options.stateDir != null) {
            cluster.stateDir(options.stateDir);
        }
        System.exit(cluster.run(args));
    }

    /**
     * A worker: asks the master for its config (and takes the change it pushes later), shows what a timed-out ask
     * looks like, says hello, then serves the demo HTTP server until drained.
     */
    private static void worker() throws Exception {
        Worker worker = Worker.current();
        if (!worker.supervised()) { // --standalone: no master to ask
            System.out.println("library-app: standalone, default config");
            DemoWorker.main(new String[0]);
            return;
        }
        worker.onNotification("config", change -> System.out.println("library-app: config changed: " + change));
        worker.onMessage(message -> {
            System.out.println("library-app: message: " + message);
            System.out.flush();
        });
        String config = worker.ask("config", "slot " + worker.slot(), Duration.ofSeconds(5)).get();
        System.out.println("library-app: config: " + config);
        try {
            worker.ask("slow", "", Duration.ofMillis(500)).get();
        } catch (java.util.concurrent.ExecutionException e) {
            System.out.println("library-app: slow ask failed: " + e.getCause().getMessage());
        }
        worker.send("hello from slot " + worker.slot());
        System.out.flush();
        DemoWorker.main(new String[0]);
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
