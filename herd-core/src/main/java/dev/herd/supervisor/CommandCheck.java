package dev.herd.supervisor;

import dev.herd.StartupException;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Checks before anything starts that the worker program exists and may be executed, so that a typo is one
 * clear line rather than N workers crash-looping into their failure budget.
 */
public final class CommandCheck {
    private CommandCheck() {
    }

    /** Returns the program's path; throws a usage {@link StartupException} naming the program otherwise. */
    public static Path resolve(List<String> command, String pathVariable) {
        return resolve(command, pathVariable, null);
    }

    /** The same for workers that run in {@code directory} (null: the master's), where a relative program is found. */
    public static Path resolve(List<String> command, String pathVariable, Path directory) {
        String program = command.getFirst();
        if (program.contains("/")) {
            return checkExecutable(directory == null ? Path.of(program) : directory.resolve(program), program);
        }
        String searchPath = pathVariable == null ? "" : pathVariable;
        for (String dir : searchPath.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new StartupException(StartupException.USAGE, "command not found: '" + program
                + "' is not in PATH (" + searchPath + "); give its full path or install it");
    }

    private static Path checkExecutable(Path path, String program) {
        if (!Files.exists(path)) {
            throw new StartupException(StartupException.USAGE, "command not found: '" + program + "' does not exist");
        }
        if (Files.isDirectory(path)) {
            throw new StartupException(StartupException.USAGE, "command is a directory: '" + program + "'");
        }
        if (!Files.isExecutable(path)) {
            throw new StartupException(StartupException.USAGE, "command is not executable: '" + program
                    + "' (make it executable with chmod +x, or run it through its interpreter)");
        }
        return path;
    }
}
