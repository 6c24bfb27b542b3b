package dev.herd.cli;

import com.fasterxml.jackson.databind.JsonNode;
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

/** `herd reload`, `herd upgrade`, `herd kill-retired`, `herd status`: commands for a running master. */
final class ControlCommands {
    private ControlCommands() {
    }

    /** Prints the answer (JSON with --json) and maps it to an exit code: 0 done, 1 the master says it failed. */
    static int report(JsonNode answer, boolean json, PrintStream out, java.util.function.Consumer<JsonNode> human) {
        if (json) {
            out.println(answer.toPrettyString());
        } else if (!answer.path("ok").asBoolean()) {
            System.err.println("herd: " + answer.path("error").asText());
        } else {
            human.accept(answer.path("result"));
        }
        if (!answer.path("ok").asBoolean()) {
            return MasterConnection.COMMAND_FAILED;
        }
        JsonNode result = answer.path("result");
        return result.has("ok") && !result.path("ok").asBoolean() ? MasterConnection.COMMAND_FAILED : 0;
    }

    static void printRollout(JsonNode r, PrintStream out) {
        if (r.path("ok").asBoolean()) {
            out.printf("%s done: generation %d on slots %s in %d ms%n", r.path("kind").asText(),
                    r.path("generation").asInt(), r.path("replaced"), r.path("durationMillis").asLong());
        } else {
            out.printf("%s of generation %d failed: %s%s%n", r.path("kind").asText(), r.path("generation").asInt(),
                    r.path("reason").asText(), r.path("rolledBack").asBoolean() ? " (rolled back)" : "");
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
            return report(master.send(ControlProtocol.request("reload")), json, System.out, r -> printRollout(r, System.out));
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
                    r -> printRollout(r, System.out));
        }
    }

    @Command(name = "kill-retired", mixinStandardHelpOptions = true,
            description = "SIGKILLs every retired (draining) worker of a running master now. The same as SIGUSR1.")
    static final class KillRetired implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Option(names = "--json", description = "Print the master's answer as JSON.") boolean json;

        @Override
        public Integer call() {
            return report(master.send(ControlProtocol.request("kill-retired")), json, System.out,
                    r -> System.out.println("killed " + r.size() + " retired worker(s): " + r));
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Shows a running master's workers: slot, pid, generation, state, uptime.")
    static final class Status implements Callable<Integer> {
        @Mixin MasterConnection master;
        @Option(names = "--json", description = "Print the master's answer as JSON.") boolean json;

        @Override
        public Integer call() {
            return report(master.send(ControlProtocol.request("status")), json, System.out, Status::print);
        }

        private static void print(JsonNode status) {
            PrintStream out = System.out;
            out.printf("master pid %d, port %d, generation %d%s%n", status.path("masterPid").asLong(),
                    status.path("port").asInt(), status.path("generation").asInt(),
                    status.path("rollout").isNull() ? "" : ", " + status.path("rollout").asText() + " in progress");
            out.printf("%-5s %-8s %-4s %-9s %-9s %s%n", "SLOT", "PID", "GEN", "STATE", "UPTIME", "NOTE");
            for (JsonNode w : status.path("workers")) {
                out.printf("%-5d %-8s %-4d %-9s %-9s %s%n", w.path("slot").asInt(),
                        w.path("pid").asLong() == 0 ? "-" : w.path("pid").asText(), w.path("generation").asInt(),
                        w.path("state").asText(), seconds(w.path("uptimeMillis").asLong()),
                        (w.path("retired").asBoolean() ? "retired " : "")
                                + (w.path("status").isNull() ? "" : w.path("status").asText()));
            }
        }

        private static String seconds(long millis) {
            return millis == 0 ? "-" : String.format("%.1fs", millis / 1000.0);
        }
    }
}
