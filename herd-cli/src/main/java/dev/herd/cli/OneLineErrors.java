package dev.herd.cli;

import dev.herd.ConfigException;
import dev.herd.StartupException;
import picocli.CommandLine;

import java.io.PrintWriter;

/**
 * Bad input gets one line on stderr that names the problem, plus where to look for help, and the documented
 * exit code; picocli's default would print the whole usage text, which buries the one line that matters.
 */
final class OneLineErrors implements CommandLine.IParameterExceptionHandler, CommandLine.IExecutionExceptionHandler {

    @Override
    public int handleParseException(CommandLine.ParameterException e, String[] args) {
        PrintWriter err = e.getCommandLine().getErr();
        String name = e.getCommandLine().getCommandName();
        err.println("herd: " + e.getMessage() + " (see '" + qualified(e.getCommandLine(), name) + " --help')");
        err.flush();
        return StartupException.USAGE;
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        int code;
        if (e instanceof StartupException startup) {
            err.println("herd: " + startup.getMessage());
            code = startup.exitCode();
        } else if (e instanceof ConfigException config) {
            err.println("herd: " + config.getMessage() + " (see '"
                    + qualified(commandLine, commandLine.getCommandName()) + " --help')");
            code = StartupException.USAGE;
        } else {
            err.println("herd: internal error: " + e);
            e.printStackTrace(err);
            code = 1;
        }
        err.flush();
        return code;
    }

    private static String qualified(CommandLine commandLine, String name) {
        return commandLine.getParent() == null ? name : commandLine.getCommandSpec().qualifiedName();
    }
}
