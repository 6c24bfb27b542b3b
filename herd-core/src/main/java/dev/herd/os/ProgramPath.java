package dev.herd.os;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Finds the program to execute before spawning, so that a missing or non-executable program fails
 * synchronously with a message naming it. posix_spawnp would search the master's PATH, not the
 * worker's, and through the /bin/sh wrapper used for LISTEN_PID a missing program would only show up
 * later as exit code 127.
 */
final class ProgramPath {
    private ProgramPath() {}

    /** An absolute path to an executable regular file. */
    static String resolve(String program, Map<String, String> env, Path workingDirectory) {
        Path base = workingDirectory != null ? workingDirectory.toAbsolutePath() : Path.of("").toAbsolutePath();
        if (program.indexOf('/') >= 0) {
            Path path = base.resolve(program);
            if (!Files.exists(path)) {
                throw new NativeException("posix_spawnp", program, Errno.ENOENT);
            }
            if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
                throw new NativeException("posix_spawnp", program, Errno.EACCES);
            }
            return path.toString();
        }
        String searchPath = env.containsKey("PATH") ? env.get("PATH") : System.getenv("PATH");
        if (searchPath == null) {
            searchPath = "/usr/local/bin:/usr/bin:/bin";
        }
        boolean sawNonExecutable = false;
        for (String dir : searchPath.split(":", -1)) {
            Path candidate = base.resolve(dir.isEmpty() ? "." : dir).resolve(program);
            if (Files.isRegularFile(candidate)) {
                if (Files.isExecutable(candidate)) {
                    return candidate.normalize().toString();
                }
                sawNonExecutable = true; // like execvp: keep looking, report EACCES if nothing better
            }
        }
        throw new NativeException("posix_spawnp", program + " in PATH=" + searchPath,
                sawNonExecutable ? Errno.EACCES : Errno.ENOENT);
    }
}
