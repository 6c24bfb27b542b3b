package dev.herd.runtime;

import dev.herd.command.CommandException;
import dev.herd.command.ControlCommand;
import dev.herd.supervisor.MasterSuccessor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The next master, started the way this one was ({@code upgrade-master}, SIGUSR2): through {@code bin/herd} when
 * that started this master ({@code HERD_LAUNCHER}), so a new Herd installed there is what runs next, else with this
 * JVM's own command line; {@code run} gets {@code --takeover} and keeps every other argument. Its output goes where
 * this master's goes (a terminal, journald), its input is /dev/null; it stays in this master's process group and
 * session, as nginx's new binary does.
 */
final class Rerun implements MasterSuccessor {
    private static final Logger log = LoggerFactory.getLogger(Rerun.class);
    static final String LAUNCHER_VARIABLE = "HERD_LAUNCHER";
    /**
     * Set for the successor to this master's pid: it keeps what the cluster runs now (an upgrade's command and
     * environment, a scale's slots) rather than the command line it was given, which is this master's original one.
     */
    static final String SUCCESSOR_VARIABLE = "HERD_SUCCESSOR_OF";

    private final Map<String, String> env;

    Rerun(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public ControlCommand.MasterStarted start() {
        if (ProcessHandle.current().pid() == 1) {
            // the kernel kills every process of a pid namespace when its init exits: the new master and all workers
            throw new CommandException("this master is PID 1 of its container: when it hands over and exits, the"
                    + " container ends and takes the new master and every worker with it; replace the container"
                    + " instead (a rolling deploy across containers), or use herd upgrade for new workers");
        }
        List<String> argv = successorArgv(readCmdline(), env.get(LAUNCHER_VARIABLE));
        try {
            ProcessBuilder builder = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT);
            builder.environment().put(SUCCESSOR_VARIABLE, Long.toString(ProcessHandle.current().pid()));
            Process process = builder.start();
            log.info("event=master.successor_started pid={} argv=\"{}\"", process.pid(), String.join(" ", argv));
            return new ControlCommand.MasterStarted(process.pid(), argv);
        } catch (IOException e) {
            throw new CommandException("cannot start the next master (" + argv.getFirst() + "): " + e.getMessage());
        }
    }

    /**
     * The next master's command line from this JVM's ({@code java [options] -jar herd-cli.jar run ARGS}): the
     * launcher's, or this JVM's up to the jar, then {@code run --takeover ARGS}.
     */
    static List<String> successorArgv(List<String> cmdline, String launcher) {
        int jar = cmdline.indexOf("-jar");
        if (jar < 0 || jar + 2 >= cmdline.size() || !"run".equals(cmdline.get(jar + 2))) {
            throw new CommandException("this master was not started as 'herd run' (its command line is "
                    + String.join(" ", cmdline) + "); start the next one yourself with 'herd run --takeover ...'");
        }
        List<String> args = new ArrayList<>(cmdline.subList(jar + 3, cmdline.size()));
        List<String> argv = new ArrayList<>();
        if (launcher != null && !launcher.isBlank()) {
            argv.add(launcher);
        } else {
            argv.addAll(cmdline.subList(0, jar + 2));
        }
        argv.add("run");
        if (!args.contains("--takeover")) {
            argv.add("--takeover");
        }
        argv.addAll(args);
        return argv;
    }

    private static List<String> readCmdline() {
        try {
            String text = new String(Files.readAllBytes(Path.of("/proc/self/cmdline")), StandardCharsets.UTF_8);
            return Arrays.asList(text.split("\0"));
        } catch (IOException e) {
            throw new CommandException("cannot read this master's command line: " + e.getMessage());
        }
    }
}
