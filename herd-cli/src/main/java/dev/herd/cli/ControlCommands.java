package dev.herd.cli;

import dev.herd.command.Answers;
import dev.herd.command.ClusterStatus;
import dev.herd.command.ControlCommand;
import dev.herd.command.RolloutResult;
import dev.herd.control.ControlJson;
import dev.herd.control.ControlProtocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** The commands for a running master: each sends one control command and prints its answer. */
final class ControlCommands {
    private ControlCommands() {
    }

    /**
     * Prints the answer (JSON with --json; else {@code human} prints its result read as {@code type}) and maps it to
     * an exit code: 0 done, 1 the master says it failed.
     */
    static <T> int report(ControlProtocol.Answer answer, boolean json, PrintStream out, Class<T> type,
                          java.util.function.Consumer<T> human) {
        if (json) {
            out.println(ControlJson.pretty(ControlJson.parse(answer.text())));
        } else if (!answer.ok()) {
            System.err.println("herd: " + answer.error());
        } else {
            human.accept(answer.result(type));
        }
        if (!answer.ok()) {
            return MasterConnection.COMMAND_FAILED;
        }
        return answer.result() instanceof Map<?, ?> result && Boolean.FALSE.equals(result.get("ok"))
                ? MasterConnection.COMMAND_FAILED : 0;
    }

    /** A list as the master wrote it: {@code [0,1]}. */
    private static String json(Object value) {
        return ControlJson.write(value);
    }

    static void printRollout(RolloutResult r, PrintStream out) {
        if (r.ok()) {
            out.printf("%s done: generation %d on slots %s in %d ms%n", r.kind(), r.generation(), json(r.replaced()),
                    r.durationMillis());
        } else {
            out.printf("%s of generation %d failed: %s%s%n", r.kind(), r.generation(), r.reason(),
                    r.rolledBack() ? " (rolled back)" : "");
        }
    }

    @Command(name = "reload", mixinStandardHelpOptions = true,
            description = {"Replaces every worker of a running master with a new generation, without dropping connections:",
                    "per slot, start the new worker, wait until it is ready, then drain the old one.",
                    "Waits until the reload has finished. The same as SIGHUP or SIGUSR2 to the master."})
    static final class Reload implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Option(names = "--json", description = "Print the master's answer as JSON.") boolean json;

        @Override
        public Integer call() {
            return report(master.send("reload", List.of()), json, System.out, RolloutResult.class, r -> printRollout(r, System.out));
        }
    }

    @Command(name = "upgrade", mixinStandardHelpOptions = true,
            description = {"Rolls a running master's workers to a new command (a new jar, new arguments or environment).",
                    "The first new worker is a canary, watched for the master's --canary-seconds; if it crashes or",
                    "is not ready, the upgrade is rolled back and the old generation keeps serving."},
            footer = {"", "Example: herd upgrade --env APP_VERSION=2 -- java -jar app-2.jar"})
    static final class Upgrade implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Option(names = "--json", description = "Print the master's answer as JSON.") boolean json;
        @Option(names = {"-e", "--env"}, paramLabel = "NAME=VALUE",
                description = "Environment variable for the new workers (repeatable), added to the master's.")
        Map<String, String> env = new LinkedHashMap<>();
        @Parameters(paramLabel = "COMMAND", arity = "1..*", description = "The new worker command, after '--'.")
        List<String> command;

        @Override
        public Integer call() {
            return report(master.send(ControlProtocol.upgradeRequest(command, env)), json, System.out,
                    RolloutResult.class, r -> printRollout(r, System.out));
        }
    }

    @Command(name = "upgrade-master", mixinStandardHelpOptions = true,
            description = {"Replaces a running master by a new one started with its command line (and --takeover):"
                    + " the new master takes the sockets and workers over and the old one exits; no worker restarts,"
                    + " no connection is dropped. Upgrades Herd itself when a new version is installed at the same path.",
                    "Waits until the new master answers (at most --wait). The same as SIGUSR2 to the master."})
    static final class UpgradeMaster implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Option(names = "--json", description = "Print the master's answer as JSON.") boolean json;
        @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "60s", converter = Durations.class,
                description = "How long to wait for the new master to answer. Default: ${DEFAULT-VALUE}.")
        java.time.Duration wait;

        @Override
        public Integer call() {
            long began = System.nanoTime();
            ControlProtocol.Answer answer = master.send("upgrade-master", List.of());
            int code = report(answer, json, System.out, ControlCommand.MasterStarted.class,
                    started -> System.out.println("new master pid " + started.pid() + " started: "
                            + String.join(" ", started.argv())));
            if (code != 0) {
                return code;
            }
            long pid = answer.result(ControlCommand.MasterStarted.class).pid();
            long deadline = began + wait.toNanos();
            while (System.nanoTime() < deadline) {
                try {
                    ControlProtocol.Answer status = master.send("status", List.of());
                    if (status.ok() && status.result(ClusterStatus.class).masterPid() == pid) {
                        if (!json) {
                            System.out.println("master pid " + pid + " took the cluster over in "
                                    + java.time.Duration.ofNanos(System.nanoTime() - began).toMillis() + " ms");
                        }
                        return 0;
                    }
                } catch (dev.herd.StartupException e) {
                    // between the two masters nobody answers for a moment
                }
                try {
                    Thread.sleep(50); // polls the master's answer, bounded by --wait
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return MasterConnection.COMMAND_FAILED;
                }
            }
            System.err.println("herd: the new master (pid " + pid + ") did not answer within " + wait.toSeconds()
                    + " s; see its output (the old master's, or journald) for why");
            return MasterConnection.COMMAND_FAILED;
        }
    }

    @Command(name = "kill-retired", mixinStandardHelpOptions = true,
            description = "SIGKILLs every retired (draining) worker of a running master now. The same as SIGUSR1.")
    static final class KillRetired implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Option(names = "--json", description = "Print the master's answer as JSON.") boolean json;

        @Override
        public Integer call() {
            return report(master.send("kill-retired", List.of()), json, System.out, Long[].class,
                    r -> System.out.println("killed " + r.length + " retired worker(s): " + json(r)));
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Shows a running master's workers: slot, pid, generation, state, uptime.")
    static final class Status implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Option(names = "--json", description = "Print the master's answer as JSON.") boolean json;

        @Override
        public Integer call() {
            return report(master.send("status", List.of()), json, System.out, ClusterStatus.class, Status::print);
        }

        private static void print(ClusterStatus status) {
            PrintStream out = System.out;
            out.printf("master pid %d, port %d, generation %d%s%n", status.masterPid(), status.port(), status.generation(),
                    status.rollout() == null ? "" : ", " + status.rollout() + " in progress");
            printWorkers(status.workers());
        }
    }

    static void printWorkers(List<ClusterStatus.WorkerInfo> workers) {
        PrintStream out = System.out;
        out.printf("%-5s %-8s %-4s %-9s %-9s %s%n", "SLOT", "PID", "GEN", "STATE", "UPTIME", "NOTE");
        for (ClusterStatus.WorkerInfo w : workers) {
            out.printf("%-5d %-8s %-4d %-9s %-9s %s%n", w.slot(), w.pid() == 0 ? "-" : Long.toString(w.pid()),
                    w.generation(), w.state().label(), seconds(w.uptimeMillis()),
                    (w.retired() ? "retired " : "") + (w.status() == null ? "" : w.status())
                            + lastFailureNote(w.lastFailure()));
            if (w.lastFailure() != null && w.lastFailure().lastOutput() != null) {
                w.lastFailure().lastOutput().lines().forEach(line -> out.println("      | " + line));
            }
        }
    }

    /** {@code gave up: 5 failed starts in a row (...); last: exit code 1 before ready}, or empty. */
    private static String lastFailureNote(ClusterStatus.LastFailure failure) {
        if (failure == null) {
            return "";
        }
        String last = "last: " + failure.exit() + (failure.wasReady() ? " after " + seconds(failure.uptimeMillis())
                : "start-timeout".equals(failure.reason()) ? " at the start timeout" : " before ready");
        return failure.gaveUp() != null ? "gave up: " + failure.gaveUp() + "; " + last : last;
    }

    private static String seconds(long millis) {
        return millis == 0 ? "-" : String.format("%.1fs", millis / 1000.0);
    }

    @Command(name = "workers", mixinStandardHelpOptions = true,
            description = "Lists a running master's worker processes: slot, pid, generation, state, uptime.")
    static final class Workers implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Option(names = "--json", description = "Print the master's answer as JSON.") boolean json;

        @Override
        public Integer call() {
            return report(master.send("workers", List.of()), json, System.out, ClusterStatus.WorkerInfo[].class,
                    workers -> printWorkers(List.of(workers)));
        }
    }

    @Command(name = "health", mixinStandardHelpOptions = true,
            description = {"Shows whether every slot of a running master has a ready worker:",
                    "ok (all), degraded (some), down (none). Exit code 0 when ok, 1 otherwise (for scripts and probes)."})
    static final class Health implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Option(names = "--json", description = "Print the master's answer as JSON.") boolean json;

        @Override
        public Integer call() {
            ControlProtocol.Answer answer = master.send("health", List.of());
            int code = report(answer, json, System.out, Answers.Health.class, h -> System.out.printf(
                    "%s: %d of %d slots ready%s%s, ecv %s%s%n", dev.herd.EnumLabels.label(h.status()),
                    h.readySlots(), h.slots(), h.failedSlots().isEmpty() ? "" : ", failed slots " + json(h.failedSlots()),
                    h.rollout() == null ? "" : ", " + h.rollout() + " in progress", h.ecv(), logsFailing(h)));
            return code != 0 ? code : answer.result(Answers.Health.class).status() == Answers.Health.Status.OK ? 0
                    : MasterConnection.COMMAND_FAILED;
        }
    }

    /** ", logs failing (slot 0: why)" when a slot's log cannot be written, else nothing. */
    private static String logsFailing(Answers.Health health) {
        if (!"failing".equals(health.logs())) {
            return "";
        }
        List<String> slots = new java.util.ArrayList<>();
        health.logsFailing().forEach(f -> slots.add("slot " + f.slot() + ": " + f.error()));
        return ", logs failing (" + String.join("; ", slots) + ")";
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Shows a running master's version, pid, uptime, mode, address, settings and directories.")
    static final class Info implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Option(names = "--json", description = "Print the master's answer as JSON.") boolean json;

        @Override
        public Integer call() {
            return report(master.send("info", List.of()), json, System.out, Map.class, ControlCommands::printFields);
        }
    }

    @Command(name = "version", mixinStandardHelpOptions = true,
            description = "Shows the Herd and Java versions of a running master (herd --version shows this CLI's).")
    static final class Version implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Option(names = "--json", description = "Print the master's answer as JSON.") boolean json;

        @Override
        public Integer call() {
            return report(master.send("version", List.of()), json, System.out, Answers.Versions.class, v -> System.out.printf(
                    "herd %s on Java %s (control protocol %d)%n", v.herd(), v.java(), v.protocol()));
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = {"Stops a running master gracefully, as SIGTERM does: workers drain, then the master exits.",
                    "Needs local access (the local socket), not the HTTP API."})
    static final class Stop implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Option(names = "--json", description = "Print the master's answer as JSON.") boolean json;
        @Option(names = "--drain-timeout", paramLabel = "DURATION",
                description = "How long workers may drain before SIGKILL. Default: the master's --drain-timeout.")
        String drainTimeout;

        @Override
        public Integer call() {
            List<String> args = drainTimeout == null ? List.of() : List.of(drainTimeout);
            return report(master.send("stop", args), json, System.out, ControlCommand.Stopping.class, r -> System.out.printf(
                    "stopping: workers drain for up to %d ms, then the master exits%n", r.drainTimeoutMillis()));
        }
    }

    @Command(name = "exit", mixinStandardHelpOptions = true,
            description = {"Stops a running master at once: every worker is killed (SIGKILL), then the master exits.",
                    "Needs local access. Type 'herd exit now'."})
    static final class Exit implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Option(names = "--json", description = "Print the master's answer as JSON.") boolean json;
        @Parameters(paramLabel = "now", arity = "1", description = "The word 'now', to confirm.") String now;

        @Override
        public Integer call() {
            return report(master.send("exit", List.of(now)), json, System.out, ControlCommand.Exiting.class,
                    r -> System.out.println("exiting: every worker is being killed"));
        }
    }

    @Command(name = "ecv", mixinStandardHelpOptions = true,
            description = {"Takes the machine out of load-balancer rotation (disable: GET /ecv answers 400 DISABLED)",
                    "or back in (enable); without an argument shows the state."})
    static final class EcvCommand implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Option(names = "--json", description = "Print the master's answer as JSON.") boolean json;
        @Parameters(paramLabel = "enable|disable", arity = "0..1", description = "enable or disable.") String action;

        @Override
        public Integer call() {
            List<String> args = action == null ? List.of() : List.of(action);
            return report(master.send("ecv", args), json, System.out, Answers.EcvState.class, r -> System.out.printf(
                    "ecv %s since %s%s%n", r.enabled() ? "enabled" : "disabled", r.since(),
                    r.monitor() == null ? "" : " (GET /ecv also asks the service's " + r.monitor() + ")"));
        }
    }

    @Command(name = "exec", mixinStandardHelpOptions = true,
            description = {"Runs any command of a running master by name, with its words, and prints the answer as JSON:",
                    "the built-in ones and those the application registered. 'herd exec help' lists them."},
            footer = {"", "Examples:", "  herd exec help", "  herd exec help reload", "  herd exec my-command arg1 arg2"})
    static final class Exec implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Parameters(paramLabel = "COMMAND", arity = "1..*", description = "The command's name, then its words.")
        List<String> words;

        @Override
        public Integer call() {
            return report(master.send(words.getFirst(), words.subList(1, words.size())), true, System.out, Object.class, r -> { });
        }
    }

    @Command(name = "restart", mixinStandardHelpOptions = true,
            description = {"Replaces workers of a running master without downtime: 'all' (a reload), 'slot N' or 'pid P'",
                    "(a new worker of the same command starts, takes over when ready, the old one drains).",
                    "Starts a stopped or failed slot again. Waits until done."})
    static final class Restart implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Option(names = "--json", description = "Print the master's answer as JSON.") boolean json;
        @Parameters(paramLabel = "all|slot N|pid P", arity = "1..2", description = "Which workers.") List<String> target;

        @Override
        public Integer call() {
            return report(master.send("restart", target), json, System.out, RolloutResult.class, r -> printRollout(r, System.out));
        }
    }

    @Command(name = "shutdown", mixinStandardHelpOptions = true,
            description = {"Drains workers of a running master and leaves their slots stopped until 'herd restart':",
                    "'all', 'slot N' or 'pid P'. The master keeps running ('herd stop' ends it)."})
    static final class Shutdown implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Option(names = "--json", description = "Print the master's answer as JSON.") boolean json;
        @Option(names = "--drain-timeout", paramLabel = "DURATION",
                description = "How long they may drain before SIGKILL. Default: the master's --drain-timeout.")
        String drainTimeout;
        @Parameters(paramLabel = "all|slot N|pid P", arity = "1..2", description = "Which workers.") List<String> target;

        @Override
        public Integer call() {
            List<String> words = new java.util.ArrayList<>(target);
            if (drainTimeout != null) {
                words.add(drainTimeout);
            }
            return report(master.send("shutdown", words), json, System.out, ControlCommand.SlotsStopped.class,
                    r -> System.out.printf("stopped slots %s; draining pids %s (up to %d ms)%n", json(r.stoppedSlots()),
                            json(r.drainingPids()), r.drainTimeoutMillis()));
        }
    }

    @Command(name = "scale", mixinStandardHelpOptions = true,
            description = {"Changes how many workers a running master runs: new slots start at once, the highest",
                    "ones drain and go away. In shared and proxy modes (reuseport and nat make their sockets or",
                    "rules per slot at start)."})
    static final class Scale implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Option(names = "--json", description = "Print the master's answer as JSON.") boolean json;
        @Parameters(paramLabel = "N", arity = "1", description = "The number of workers.") String workers;

        @Override
        public Integer call() {
            return report(master.send("scale", List.of(workers)), json, System.out, ControlCommand.Scaled.class,
                    r -> System.out.printf("scaled from %d to %d workers; started slots %s, removed slots %s%n", r.from(),
                            r.to(), json(r.startedSlots()), json(r.removedSlots())));
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true,
            description = {"Shows the last lines of a worker slot's log (stdout and stderr), or of every slot's with their",
                    "slot in front; with -f, then every new line as it is written, until the master stops or Ctrl-C."})
    static final class Logs implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Parameters(paramLabel = "SLOT|all", arity = "0..1", defaultValue = "all", description = "A slot number, or all (default).")
        String slot;
        @Option(names = {"-f", "--follow"}, description = "Keep printing new lines as they are written.") boolean follow;
        @Option(names = {"-n", "--lines"}, paramLabel = "N", defaultValue = "20",
                description = "How many of the last lines to show first, per slot (1 to 10000). Default: ${DEFAULT-VALUE}.")
        int count;

        @Override
        public Integer call() {
            if (count < 1 || count > 10_000) {
                throw new dev.herd.StartupException(dev.herd.StartupException.USAGE,
                        "--lines: '" + count + "' must be between 1 and 10000");
            }
            master.logs(slot, count, follow, line -> {
                System.out.println(line);
                System.out.flush();
            });
            return 0;
        }
    }

    @Command(name = "events", mixinStandardHelpOptions = true,
            description = {"Shows a running master's last events (worker forked, ready, exited, restarts, reloads, signals),",
                    "one per line; with -f, then every new one as it happens until the master stops or Ctrl-C."})
    static final class Events implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Option(names = "--json", description = "Print each event as its JSON object.") boolean json;
        @Option(names = {"-f", "--follow"}, description = "Keep printing new events as they happen.") boolean follow;
        @Option(names = {"-n", "--lines"}, paramLabel = "N", defaultValue = "20",
                description = "How many of the last events to show first (1 to 1000). Default: ${DEFAULT-VALUE}.")
        int count;

        @Override
        public Integer call() {
            if (count < 1 || count > 1000) {
                throw new dev.herd.StartupException(dev.herd.StartupException.USAGE,
                        "--lines: '" + count + "' must be between 1 and 1000");
            }
            master.events(count, follow, event -> {
                if (json) {
                    System.out.println(ControlJson.write(event));
                } else {
                    StringBuilder line = new StringBuilder(String.valueOf(event.get("at"))).append(' ')
                            .append(event.get("event"));
                    event.forEach((name, value) -> {
                        if (!List.of("id", "at", "event").contains(name)) {
                            line.append(' ').append(name).append('=').append(text(value));
                        }
                    });
                    System.out.println(line);
                }
                System.out.flush();
            });
            return 0;
        }
    }

    /** One "name: value" line per field of a JSON object. */
    static void printFields(Map<?, ?> object) {
        object.forEach((name, value) -> System.out.printf("%-20s %s%n", name + ":", text(value)));
    }

    /** A JSON value as text: a string as it is, anything else as its JSON. */
    private static String text(Object value) {
        return value instanceof String string ? string : ControlJson.write(value);
    }
}
