package dev.herd.cli;

import dev.herd.ClusterSpec;
import dev.herd.EventListener;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * The real {@code herd} command line, run in this JVM with its output captured; {@code herd run} hands the spec it
 * built to a recorder instead of starting a master.
 */
final class Cli {
    private Cli() {
    }

    /** What one invocation did: its exit code, what it printed, and the spec {@code herd run} would have run. */
    record Result(int code, String out, String err, ClusterSpec spec, List<EventListener> listeners) {
        /** stderr's lines. */
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    static Result execute(String... args) {
        return execute(java.util.Map.of(), args);
    }

    /** @param env the environment {@code herd run} sees ({@code $HERD_CONFIG}) */
    static Result execute(java.util.Map<String, String> env, String... args) {
        List<ClusterSpec> specs = new ArrayList<>();
        List<List<EventListener>> listeners = new ArrayList<>();
        CommandLine commandLine = HerdCommand.commandLine(new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
                if (type == RunCommand.class) {
                    return type.cast(new RunCommand((spec, given) -> {
                        specs.add(spec);
                        listeners.add(given);
                        return 0;
                    }, env));
                }
                return CommandLine.defaultFactory().create(type);
            }
        });
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int code = commandLine.execute(args);
        return new Result(code, out.toString(), err.toString(), specs.isEmpty() ? null : specs.getFirst(),
                listeners.isEmpty() ? null : listeners.getFirst());
    }

    /** The spec {@code herd run ARGS} runs; fails the test when it is refused. */
    static ClusterSpec spec(String... runArgs) {
        String[] args = new String[runArgs.length + 1];
        args[0] = "run";
        System.arraycopy(runArgs, 0, args, 1, runArgs.length);
        Result result = execute(args);
        if (result.code() != 0 || result.spec() == null) {
            throw new AssertionError("herd " + String.join(" ", args) + " was refused (exit " + result.code() + "): "
                    + result.err());
        }
        return result.spec();
    }

    /** A parse only (no call): the command object of the subcommand, with its options set. */
    static <T> T parsed(Class<T> type, String... args) {
        CommandLine commandLine = HerdCommand.commandLine(CommandLine.defaultFactory());
        CommandLine.ParseResult result = commandLine.parseArgs(args);
        Object command = result.subcommand().commandSpec().userObject();
        return type.cast(command);
    }
}
