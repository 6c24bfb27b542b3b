package dev.herd.bench;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the pieces of the master's start-up cost on their own: one step per JVM (run by
 * {@code herd-bench/bin/startup-steps}, which gives this the CLI's class path), timed in the main thread's CPU time
 * ({@code /proc/thread-self/schedstat}) and the whole process's (every thread's, so the JIT compiler's too). The
 * steps call the same code the master calls first, by reflection (this module does not depend on Herd's):
 *
 * <ul>
 *   <li>{@code none}: nothing (the baseline: the JVM and this program);</li>
 *   <li>{@code picocli-all}: the {@code herd} command line with every subcommand added (what {@code herd --help}
 *   builds), then parsing {@code run --workers 4 --port 0} (what {@code herd run} did before it built the run command
 *   alone);</li>
 *   <li>{@code picocli-run}: the same with the run command alone, as {@code herd run} builds it (in builds before
 *   {@code HerdCommand.commandLine(String...)}: {@code new CommandLine(new RunCommand())});</li>
 *   <li>{@code slf4j}: the first log line through whatever SLF4J provider the class path has (the master's
 *   {@code MasterLog}, or Logback with Herd's former {@code logback.xml});</li>
 *   <li>{@code libc}: the initialisation of {@code dev.herd.os.Libc} (its eager downcall handles);</li>
 *   <li>{@code jackson}: the master's JSON through its own code ({@code dev.herd.control.ControlJson}): an event's
 *   map written, a request line read, a record answer written, a worker channel line read
 *   ({@code dev.herd.wire.WorkerProtocol}): what the event hub, the control protocol and the worker channel do first.
 *   Whatever library that build's {@code ControlJson} uses (jackson-jr now, jackson-databind before) is what the step
 *   costs, so {@code --cli} pointed at an older build compares them;</li>
 *   <li>{@code httpserver}: the JDK's HTTP server bound on loopback and started on virtual threads.</li>
 * </ul>
 */
public final class StartupSteps {
    private StartupSteps() {
    }

    /** A record like the status answers the control protocol writes. */
    public record Status(String mode, int workers, List<Map<String, Object>> slots) {
    }

    public static void main(String[] args) throws Throwable {
        long jvmStart = mainNanos();
        processNanos(); // loads what reading /proc takes, so that the first reading below does not count it
        long process0 = processNanos();
        long main0 = mainNanos();
        for (String step : args) {
            run(step);
        }
        long main1 = mainNanos();
        long process1 = processNanos();
        String rss = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                .findFirst().orElse("VmRSS: ? kB").replaceAll("\\s+", " ");
        System.out.printf("step=%s main_cpu_ms=%.1f process_cpu_ms=%.1f cpu_before_main_ms=%.1f %s%n",
                String.join("+", args), (main1 - main0) / 1e6, (process1 - process0) / 1e6, jvmStart / 1e6, rss);
        System.exit(0);
    }

    private static void run(String step) throws Throwable {
        ClassLoader loader = StartupSteps.class.getClassLoader();
        switch (step) {
            case "picocli-all", "picocli-run" -> {
                Class<?> commandLine = Class.forName("picocli.CommandLine", true, loader);
                Constructor<?> make = commandLine.getConstructor(Object.class);
                Object cli;
                Method forArgs = forArguments();
                if (step.equals("picocli-all") && forArgs != null) { // every subcommand, as "herd --help" gets them
                    cli = forArgs.invoke(null, (Object) new String[] {"--help"});
                    commandLine.getMethod("parseArgs", String[].class)
                            .invoke(cli, (Object) new String[] {"run", "--workers", "4", "--port", "0"});
                } else if (step.equals("picocli-all")) {
                    cli = make.newInstance(newInstance("dev.herd.cli.HerdCommand"));
                    Map<String, Class<?>> all = subcommandTable();
                    Method add = commandLine.getMethod("addSubcommand", String.class, Object.class);
                    for (Map.Entry<String, Class<?>> e : all.entrySet()) {
                        add.invoke(cli, e.getKey(), e.getValue());
                    }
                    commandLine.getMethod("parseArgs", String[].class)
                            .invoke(cli, (Object) new String[] {"run", "--workers", "4", "--port", "0"});
                } else {
                    String[] args = {"run", "--workers", "4", "--port", "0"};
                    if (forArgs != null) { // the master's own path: HerdCommand.commandLine(args)
                        cli = forArgs.invoke(null, (Object) args);
                        commandLine.getMethod("parseArgs", String[].class).invoke(cli, (Object) args);
                    } else { // a build before the run command's model was built without annotations
                        cli = make.newInstance(newInstance("dev.herd.cli.RunCommand"));
                        commandLine.getMethod("parseArgs", String[].class)
                                .invoke(cli, (Object) new String[] {"--workers", "4", "--port", "0"});
                    }
                }
            }
            case "slf4j" -> {
                Object logger = Class.forName("org.slf4j.LoggerFactory", true, loader).getMethod("getLogger", String.class)
                        .invoke(null, "herd.events");
                logger.getClass().getMethod("info", String.class, Object.class).invoke(logger, "event=steps.test n={}", 1);
            }
            case "none" -> {
                // the baseline: nothing but this program
            }
            case "libc" -> Class.forName("dev.herd.os.Libc", true, loader);
            case "jackson" -> {
                Class<?> json = Class.forName("dev.herd.control.ControlJson", true, loader);
                Method write = json.getMethod("write", Object.class);
                Map<String, Object> event = new LinkedHashMap<>();
                event.put("id", 1L);
                event.put("event", "worker.ready");
                write.invoke(null, event);
                json.getMethod("parse", String.class).invoke(null, "{\"command\":\"status\",\"args\":[\"--json\"]}");
                write.invoke(null, status());
                Class.forName("dev.herd.wire.WorkerProtocol", true, loader).getMethod("read", String.class)
                        .invoke(null, "{\"v\":1,\"type\":\"ready\"}");
            }
            case "httpserver" -> {
                com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                        new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
                server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
                server.createContext("/", exchange -> exchange.close());
                server.start();
            }
            default -> throw new IllegalArgumentException("unknown step " + step
                    + " (none, picocli-all, picocli-run, slf4j, libc, jackson, httpserver)");
        }
    }

    private static Status status() {
        return new Status("shared", 2, List.of(Map.of("slot", 0, "pid", 42, "state", "READY"),
                Map.of("slot", 1, "pid", 43, "state", "READY")));
    }

    private static Object newInstance(String type) throws ReflectiveOperationException {
        Constructor<?> c = Class.forName(type).getDeclaredConstructor();
        c.setAccessible(true);
        return c.newInstance();
    }

    /** {@code HerdCommand.commandLine(String...)}, or null in builds that do not have it. */
    private static Method forArguments() throws ClassNotFoundException {
        try {
            Method method = Class.forName("dev.herd.cli.HerdCommand").getDeclaredMethod("commandLine", String[].class);
            method.setAccessible(true);
            return method;
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    /** HerdCommand's table of subcommands, wherever the build measured keeps it. */
    @SuppressWarnings("unchecked")
    private static Map<String, Class<?>> subcommandTable() throws ReflectiveOperationException {
        try {
            return (Map<String, Class<?>>) field("dev.herd.cli.HerdCommand$Subcommands", "ALL");
        } catch (ClassNotFoundException e) {
            try {
                return (Map<String, Class<?>>) field("dev.herd.cli.HerdCommand", "SUBCOMMANDS"); // builds of 3c88748..a35e1de
            } catch (NoSuchFieldException older) {
                return Map.of(); // a build before 3c88748: the annotation on HerdCommand added every one already
            }
        }
    }

    private static Object field(String type, String name) throws ReflectiveOperationException {
        java.lang.reflect.Field f = Class.forName(type).getDeclaredField(name);
        f.setAccessible(true);
        return f.get(null);
    }

    private static long mainNanos() {
        try {
            return Long.parseLong(Files.readString(Path.of("/proc/thread-self/schedstat")).split(" ")[0]);
        } catch (Exception e) {
            return -1;
        }
    }

    private static long processNanos() {
        long sum = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                try {
                    sum += Long.parseLong(Files.readString(task.resolve("schedstat")).split(" ")[0]);
                } catch (Exception e) {
                    // the thread exited
                }
            }
        } catch (Exception e) {
            return -1;
        }
        return sum;
    }
}
