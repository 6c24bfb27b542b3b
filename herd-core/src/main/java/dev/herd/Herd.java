package dev.herd;


import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Library mode: a Java service becomes its own cluster with a few lines in {@code main}, as with Node's
 * {@code cluster} module.
 *
 * <pre>{@code
 * public static void main(String[] args) {
 *     System.exit(Herd.cluster()
 *             .workers(4).port(8080)
 *             .onEvent(event -> ...)
 *             .command(new Command("flush", Access.LOCAL, "flush", "flush caches", words -> ...))
 *             .worker(() -> MyServer.serve(Worker.current().serverChannel()))
 *             .run(args));
 * }
 * }</pre>
 *
 * The same {@code main} runs in every process. In the first one (no {@code HERD_WORKER_ID} in the environment)
 * {@link Builder#run} becomes the master: it starts the workers by running the same main class again, with the
 * same class path, JVM options and arguments, and supervises them until it is told to stop. In a worker, it runs
 * the worker body. With {@code cluster(false)} it runs the body in this process only (cluster2's single-process
 * mode), and the body, through {@code Worker.current()}, binds {@code $PORT} itself.
 */
public final class Herd {
    /** Set in every worker's environment by the master: its slot. */
    public static final String WORKER_ID_ENV = "HERD_WORKER_ID";

    private Herd() {
    }

    public static Builder cluster() {
        return new Builder();
    }

    /** What a worker process runs: typically it serves on {@code Worker.current().serverChannel()} until drained. */
    @FunctionalInterface
    public interface WorkerBody {
        void run() throws Exception;
    }

    public static final class Builder {
        private final ClusterSpec.Builder spec = ClusterSpec.builder();
        private final List<EventListener> listeners = new ArrayList<>();
        private final List<Command> commands = new ArrayList<>();
        private final java.util.Map<String, Delegate> delegates = new java.util.LinkedHashMap<>();
        private final List<WorkerMessageListener> messageListeners = new ArrayList<>();
        private WorkerBody body;
        private boolean cluster = true;

        private Builder() {
        }

        public Builder workers(int workers) { spec.workers(workers); return this; }
        public Builder port(int port) { spec.port(port); return this; }
        public Builder host(String host) { spec.host(host); return this; }
        public Builder mode(ListenMode mode) { spec.mode(mode); return this; }
        public Builder sticky(boolean sticky) { spec.sticky(sticky); return this; }
        public Builder readyWhen(ReadyWhen readyWhen) { spec.readyWhen(readyWhen); return this; }
        public Builder drainTimeout(java.time.Duration drainTimeout) { spec.drainTimeout(drainTimeout); return this; }
        public Builder stateDir(Path stateDir) { spec.stateDir(stateDir); return this; }
        public Builder api(ApiSpec api) { spec.api(api); return this; }

        /** Any other setting of the cluster (restart policy, reload batch, logs, ...). */
        public Builder spec(Consumer<ClusterSpec.Builder> settings) {
            settings.accept(spec);
            return this;
        }

        /** Called on the master's supervisor thread for every event: return quickly, never block. */
        public Builder onEvent(EventListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** A command of the application's own, run through the CLI and the HTTP API under its access level. */
        public Builder command(Command command) {
            commands.add(Objects.requireNonNull(command, "command"));
            return this;
        }

        /** Answers the workers' {@code ask(kind, ...)}: work done once, in the master. */
        public Builder delegate(String kind, Delegate handler) {
            if (delegates.putIfAbsent(Objects.requireNonNull(kind, "kind"), Objects.requireNonNull(handler, "handler")) != null) {
                throw new IllegalArgumentException("a delegate handler for '" + kind + "' is already set");
            }
            return this;
        }

        /** Receives what workers {@code send(payload)}. */
        public Builder onMessage(WorkerMessageListener listener) {
            messageListeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        public Builder worker(WorkerBody body) {
            this.body = Objects.requireNonNull(body, "body");
            return this;
        }

        /** false: no master and no worker processes, the worker body runs here (for development and tests). */
        public Builder cluster(boolean cluster) {
            this.cluster = cluster;
            return this;
        }

        /**
         * Runs this process's part: the master (until the cluster stops), a worker's body, or the body alone.
         * Returns the exit code for {@code System.exit}: the master's documented codes, 0 when a body returns,
         * 1 when it throws.
         *
         * @param args the program's arguments, passed on to the workers unchanged
         */
        public int run(String[] args) {
            if (body == null) {
                throw new IllegalStateException("Herd.cluster(): set the worker body with .worker(...) before run()");
            }
            String slot = System.getenv(WORKER_ID_ENV);
            if (!cluster || (slot != null && !slot.isEmpty())) {
                return runBody();
            }
            try {
                spec.command(workerCommand(args));
                return MasterRunner.load().run(spec.build(), listeners, commands, delegates, messageListeners);
            } catch (StartupException e) {
                System.err.println("herd: " + e.getMessage());
                return e.exitCode();
            } catch (ConfigException e) {
                System.err.println("herd: " + e.getMessage());
                return StartupException.USAGE;
            }
        }

        private int runBody() {
            try {
                body.run();
                return 0;
            } catch (Exception e) {
                System.err.println("herd worker: " + e);
                e.printStackTrace();
                return 1;
            }
        }
    }

    /**
     * The command line that starts this program again: the same java, JVM options (without a debugger agent,
     * whose port the workers could not share), class path or module path, main class, and the same arguments.
     */
    static List<String> workerCommand(String[] args) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>();
        command.add(java);
        // started with -m: the options already hold --module-path (and --add-modules); the launcher adds
        // -Djdk.module.main itself, from the -m given below
        String mainModule = System.getProperty("jdk.module.main");
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!option.startsWith("-agentlib:jdwp") && !option.startsWith("-Xrunjdwp")
                    && !option.startsWith("-Djdk.module.main=")) {
                command.add(option);
            }
        }
        String classPath = System.getProperty("java.class.path", "");
        if (!classPath.isEmpty()) {
            command.add("-cp");
            command.add(classPath);
        }
        if (mainModule != null) {
            command.add("-m");
            command.add(mainModule + "/" + mainClass());
        } else {
            command.add(mainClass());
        }
        command.addAll(List.of(args));
        return command;
    }

    /**
     * The class whose main method started this JVM: the bottom frame of this thread when it is a {@code main}
     * method, else the main module's main class, else from {@code sun.java.command} (a class name, or the jar whose
     * manifest names it).
     */
    private static String mainClass() {
        StackWalker.StackFrame bottom = StackWalker.getInstance().walk(frames -> frames.reduce((first, second) -> second))
                .orElse(null);
        if (bottom != null && bottom.getMethodName().equals("main")) {
            return bottom.getClassName();
        }
        String moduleMain = System.getProperty("jdk.module.main.class");
        if (moduleMain != null) {
            return moduleMain;
        }
        String command = System.getProperty("sun.java.command", "").split(" ")[0];
        if (command.endsWith(".jar")) {
            try (java.util.jar.JarFile jar = new java.util.jar.JarFile(command)) {
                java.util.jar.Manifest manifest = jar.getManifest();
                String main = manifest == null ? null : manifest.getMainAttributes().getValue("Main-Class");
                if (main != null) {
                    return main;
                }
            } catch (java.io.IOException e) {
                // said below
            }
        } else if (!command.isEmpty()) {
            return command;
        }
        throw new StartupException(StartupException.USAGE, "Herd.cluster().run() cannot tell this program's main class"
                + " (started as '" + command + "'); call run() from main");
    }
}
