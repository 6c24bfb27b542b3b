package dev.herd.control;

import dev.herd.command.WorkerState;

import dev.herd.Access;
import dev.herd.ClusterSpec;
import dev.herd.command.Answers;
import dev.herd.command.ClusterStatus;
import dev.herd.command.CommandGateway;
import dev.herd.command.Containment;
import dev.herd.command.CommandException;
import dev.herd.command.ControlCommand;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** The commands every master has (docs/api.md lists them with their arguments and answers). */
final class BuiltInCommands {
    private final CommandGateway supervisor;
    private final Containment containment;
    private final ClusterSpec spec;
    private final Ecv ecv;
    private final CommandTable table;
    private final Instant startedAt;
    private final EventHub events;
    private final dev.herd.logs.WorkerLogs logs;
    private final String address;
    private final Supplier<String> apiUrl;
    private final Samples samples;

    private BuiltInCommands(CommandGateway supervisor, Containment containment, ClusterSpec spec, Ecv ecv, CommandTable table,
                            ControlPlane.Observers observers, dev.herd.logs.WorkerLogs logs, String address,
                            Supplier<String> apiUrl, Samples samples) {
        this.samples = samples;
        this.supervisor = supervisor;
        this.containment = containment;
        this.spec = spec;
        this.ecv = ecv;
        this.table = table;
        this.startedAt = observers.startedAt();
        this.events = observers.events();
        this.logs = logs;
        this.address = address;
        this.apiUrl = apiUrl;
    }

    /**
     * Adds the built-in commands to the table.
     *
     * @param address the service's address as clients reach it, e.g. {@code 127.0.0.1:8080}
     * @param apiUrl  the HTTP API's URL once it listens, else null
     */
    static void register(CommandTable table, CommandGateway supervisor, Containment containment, ClusterSpec spec, Ecv ecv,
                         ControlPlane.Observers observers, dev.herd.logs.WorkerLogs logs, String address,
                         Supplier<String> apiUrl, Samples samples) {
        new BuiltInCommands(supervisor, containment, spec, ecv, table, observers, logs, address, apiUrl, samples)
                .registerAll();
    }

    private void registerAll() {
        read("status", "status", "the master and every worker: slot, pid, generation, state, uptime",
                r -> supervisor.submit(new ControlCommand.Status()));
        read("workers", "workers", "the worker processes (the workers part of status)",
                r -> status().thenApply(ClusterStatus::workers));
        read("health", "health", "ok (every slot has a ready worker), degraded (some) or down (none); logs: ok or failing (a log disk full, say)",
                r -> status().thenApply(this::health));
        read("info", "info", "the master: version, pid, uptime, mode, address, settings, directories",
                r -> status().thenApply(this::info));
        read("version", "version", "Herd's and Java's versions and the control protocol's",
                r -> CompletableFuture.completedFuture(version()));
        read("samples", "samples [after TIME]", "the last 15 minutes of each worker's resident memory, CPU % and"
                        + " requests/s, one sample every 5 s (the dashboard's plots); after TIME (epoch milliseconds,"
                        + " a sample's time): only the later ones",
                r -> {
                    boolean afterTime = r.args().size() == 2 && "after".equals(r.arg(0));
                    if (!r.args().isEmpty() && !afterTime) {
                        throw new CommandException("samples takes nothing or after TIME (epoch milliseconds), got " + r.args());
                    }
                    long after = afterTime ? number(r.arg(1), "time", "usage: samples [after TIME]") : -1;
                    return CompletableFuture.completedFuture(samples.answer(after));
                });
        read("help", "help [command]", "the commands, or one command's usage and access level", this::help);
        read("events", "events [count]",
                "the last events (default 100, at most " + EventHub.KEEP + "); follow them live with herd events -f or GET /events",
                this::events);
        read("logs", "logs [slot|all] [lines]",
                "the last lines (default " + LogRequest.DEFAULT_LINES + ") of a slot's worker log, or of every slot's; follow them with herd logs -f or GET /logs?follow=true",
                r -> {
                    if (r.args().size() > 2) {
                        throw new CommandException("logs takes at most a slot (or all) and a number of lines");
                    }
                    LogRequest wanted = LogRequest.parse(r.arg(0), r.arg(1), logs.slots());
                    return CompletableFuture.completedFuture(wanted.tail(logs).stream().map(BuiltInCommands::logLine).toList());
                });
        write("reload", Access.REMOTE, "reload",
                "replace every worker with a new generation, slot by slot, without dropping a connection; answers when done",
                r -> {
                    noArgs(r);
                    return supervisor.submit(new ControlCommand.Reload());
                });
        write("restart", Access.REMOTE, "restart all|slot N|pid P",
                "replace workers without downtime: all (a reload) or one slot's; starts a stopped or failed slot again; answers when done",
                r -> supervisor.submit(new ControlCommand.Restart(target(r, false).target())));
        write("shutdown", Access.REMOTE, "shutdown all|slot N|pid P [drain-timeout]",
                "drain those workers and leave their slots stopped until restart; the master keeps running (stop ends it)",
                r -> {
                    TargetWords words = target(r, true);
                    return supervisor.submit(new ControlCommand.Shutdown(words.target(), words.timeout()));
                });
        write("message", Access.REMOTE, "message all|slot N|pid P TEXT...",
                "send TEXT to the workers' onMessage handlers on their channel; answers which got it",
                r -> {
                    int used = r.args().isEmpty() ? 0 : r.arg(0).equals("all") ? 1 : 2;
                    if (r.args().size() <= used) {
                        throw new CommandException("message needs a target and a text: message all|slot N|pid P TEXT...");
                    }
                    TargetWords target = target(new CommandRequest("message", r.args().subList(0, used), null), false);
                    String text = String.join(" ", r.args().subList(used, r.args().size()));
                    return supervisor.submit(new ControlCommand.Message(target.target(), text));
                });
        write("scale", Access.REMOTE, "scale N",
                "run N workers: new slots start, the highest ones drain and go away (shared and proxy modes)",
                r -> {
                    if (r.args().size() != 1) {
                        throw new CommandException("scale needs one number: how many workers (scale 4)");
                    }
                    return supervisor.submit(new ControlCommand.Scale(count(r.arg(0), "scale", dev.herd.ClusterSpec.MAX_WORKERS)));
                });
        write("upgrade", Access.LOCAL, "upgrade (body: {\"argv\":[...],\"env\":{...}})",
                "roll every worker to a new command line and environment, canary first; rolls back if it fails",
                r -> supervisor.submit(ControlProtocol.upgrade(r)));
        write("upgrade-master", Access.LOCAL, "upgrade-master",
                "start a new master with this one's command line that takes the cluster over (workers kept); as SIGUSR2",
                r -> {
                    noArgs(r);
                    return supervisor.submit(new ControlCommand.UpgradeMaster());
                });
        write("kill-retired", Access.REMOTE, "kill-retired", "SIGKILL every retired (draining) worker now",
                r -> {
                    noArgs(r);
                    return supervisor.submit(new ControlCommand.KillRetired());
                });
        write("stop", Access.LOCAL, "stop [drain-timeout]",
                "stop the cluster gracefully, as SIGTERM does: workers drain (default: the master's --drain-timeout), then the master exits",
                r -> supervisor.submit(new ControlCommand.Stop(r.args().isEmpty() ? null : duration(r.arg(0), "drain-timeout"))));
        write("exit", Access.LOCAL, "exit now", "stop at once: kill every worker and exit (as a second Ctrl-C)",
                r -> {
                    if (r.args().size() != 1 || !"now".equals(r.arg(0))) {
                        throw new CommandException("exit needs the word 'now' (exit now): it kills every worker at once");
                    }
                    return supervisor.submit(new ControlCommand.Exit());
                });
        write("ecv", Access.REMOTE, "ecv [enable|disable]",
                "take the machine out of (disable) or back into (enable) load-balancer rotation; no argument shows the state",
                this::ecv);
    }

    private void read(String name, String usage, String summary, CommandDef.Handler handler) {
        table.add(new CommandDef(name, Access.REMOTE, true, usage, summary, handler));
    }

    private void write(String name, Access access, String usage, String summary, CommandDef.Handler handler) {
        table.add(new CommandDef(name, access, false, usage, summary, handler));
    }

    private CompletableFuture<ClusterStatus> status() {
        return supervisor.submit(new ControlCommand.Status());
    }

    private Answers.Health health(ClusterStatus status) {
        List<Integer> readySlots = new ArrayList<>();
        List<Integer> failedSlots = new ArrayList<>();
        for (ClusterStatus.WorkerInfo w : status.workers()) {
            if (!w.retired() && w.state() == WorkerState.READY && !readySlots.contains(w.slot())) {
                readySlots.add(w.slot());
            }
            if (w.state() == WorkerState.FAILED) {
                failedSlots.add(w.slot());
            }
        }
        int slots = status.slots();
        Answers.Health.Status overall = readySlots.size() == slots ? Answers.Health.Status.OK
                : readySlots.isEmpty() ? Answers.Health.Status.DOWN : Answers.Health.Status.DEGRADED;
        Map<Integer, String> logsFailing = logs.failing();
        List<Answers.LogFailure> failingLogs = new ArrayList<>();
        logsFailing.forEach((slot, error) -> failingLogs.add(new Answers.LogFailure(slot, error)));
        return new Answers.Health(overall, slots, readySlots.size(), failedSlots, status.rollout(),
                ecv.enabled() ? "enabled" : "disabled", logsFailing.isEmpty() ? "ok" : "failing", failingLogs);
    }

    private Answers.Info info(ClusterStatus status) {
        return new Answers.Info(HerdVersion.herd(), HerdVersion.java(), status.masterPid(), startedAt.toString(),
                Duration.between(startedAt, Instant.now()).toMillis(), address, spec.mode().label(), status.slots(),
                status.generation(), spec.command(), spec.readyWhen().label(), spec.drainTimeout().toMillis(),
                containment.mode(), containment.cgroup(), containment.reason(), spec.stateDir().toString(),
                spec.logDir().toString(), apiUrl.get());
    }

    static Answers.Versions version() {
        return new Answers.Versions(HerdVersion.herd(), HerdVersion.java(), ControlProtocol.VERSION);
    }

    /** A log line as the local socket and the logs command give it. */
    static Answers.LogLine logLine(dev.herd.logs.WorkerLogs.Line line) {
        return new Answers.LogLine(line.slot(), line.text());
    }

    private CompletableFuture<Object> help(CommandRequest r) {
        if (r.args().size() > 1) {
            throw new CommandException("help takes at most one command name");
        }
        if (r.args().size() == 1) {
            CommandDef command = table.find(r.arg(0)).orElseThrow(() ->
                    new CommandException("no command '" + r.arg(0) + "'; commands: " + table.names()));
            return CompletableFuture.completedFuture(describe(command));
        }
        return CompletableFuture.completedFuture(table.all().stream().map(BuiltInCommands::describe).toList());
    }

    private CompletableFuture<List<Map<String, Object>>> events(CommandRequest r) {
        int count = r.args().isEmpty() ? 100 : count(r.arg(0), "events", EventHub.KEEP);
        if (r.args().size() > 1) {
            throw new CommandException("events takes at most one word: how many of the last events");
        }
        return CompletableFuture.completedFuture(events.recent(count).stream().map(EventHub.Entry::toMap).toList());
    }

    static int count(String text, String command, int max) {
        try {
            int n = Integer.parseInt(text);
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new CommandException(command + ": '" + text + "' is not a count from 1 to " + max);
    }

    private static Answers.CommandHelp describe(CommandDef command) {
        return new Answers.CommandHelp(command.name(), command.usage(), command.summary(), command.access().label(),
                command.readOnly());
    }

    private CompletableFuture<Object> ecv(CommandRequest r) {
        if (r.args().size() > 1) {
            throw new CommandException("ecv takes one word: enable or disable (none shows the state)");
        }
        if (r.args().size() == 1) {
            switch (r.arg(0)) {
                case "enable" -> ecv.enable();
                case "disable" -> ecv.disable();
                default -> throw new CommandException("ecv: '" + r.arg(0) + "' is not enable or disable");
            }
        }
        return CompletableFuture.completedFuture(new Answers.EcvState(ecv.enabled(), ecv.since().toString(),
                ecv.monitorPath()));
    }

    record TargetWords(ControlCommand.Target target, Duration timeout) {
    }

    /**
     * {@code all}, {@code slot N}, {@code pid P} (or a bare pid, as cluster-service takes it), then, where allowed, a
     * drain timeout.
     */
    static TargetWords target(CommandRequest r, boolean timeoutAllowed) {
        List<String> words = r.args();
        String usage = r.name() + " all|slot N|pid P" + (timeoutAllowed ? " [drain-timeout]" : "");
        if (words.isEmpty()) {
            throw new CommandException(r.name() + " needs a target: " + usage);
        }
        ControlCommand.Target target;
        int used;
        switch (words.getFirst()) {
            case "all" -> {
                target = new ControlCommand.Target.All();
                used = 1;
            }
            case "slot", "pid" -> {
                if (words.size() < 2) {
                    throw new CommandException(r.name() + " " + words.getFirst() + " needs a number: " + usage);
                }
                long n = number(words.get(1), words.getFirst(), usage);
                target = words.getFirst().equals("slot") ? new ControlCommand.Target.OfSlot((int) Math.min(n, Integer.MAX_VALUE))
                        : new ControlCommand.Target.OfPid(n);
                used = 2;
            }
            default -> {
                target = new ControlCommand.Target.OfPid(number(words.getFirst(), "pid", usage));
                used = 1;
            }
        }
        Duration timeout = null;
        if (words.size() > used) {
            if (!timeoutAllowed || words.size() > used + 1) {
                throw new CommandException(r.name() + ": unexpected " + words.subList(used, words.size()) + "; " + usage);
            }
            timeout = duration(words.get(used), "drain-timeout");
        }
        return new TargetWords(target, timeout);
    }

    private static long number(String word, String what, String usage) {
        try {
            long n = Long.parseLong(word);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new CommandException("'" + word + "' is not a " + what + " number; " + usage);
    }

    private static void noArgs(CommandRequest r) {
        if (!r.args().isEmpty()) {
            throw new CommandException(r.name() + " takes no arguments, got " + r.args());
        }
    }

    static Duration duration(String text, String what) {
        try {
            return dev.herd.Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CommandException(what + ": " + e.getMessage());
        }
    }
}
