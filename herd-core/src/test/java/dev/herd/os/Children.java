package dev.herd.os;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Spawns test children and kills and reaps whatever is still running after each test. */
final class Children implements AfterEachCallback {
    private final List<Integer> running = new ArrayList<>();

    static Map<String, String> basicEnv() {
        return Map.of("PATH", "/usr/local/bin:/usr/bin:/bin");
    }

    int spawn(SpawnRequest request) {
        int pid = Spawner.spawn(request);
        synchronized (running) {
            running.add(pid);
        }
        return pid;
    }

    int spawn(List<String> argv, Path log) {
        return spawn(new SpawnRequest(argv, basicEnv(), null, -1, 0, log));
    }

    /** Waits for (and forgets) a child. */
    ExitStatus waitFor(int pid) {
        ExitStatus status = Processes.waitFor(pid);
        synchronized (running) {
            running.remove((Integer) pid);
        }
        return status;
    }

    ExitStatus kill(int pid) {
        Processes.signal(pid, Signal.KILL);
        return waitFor(pid);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        List<Integer> pids;
        synchronized (running) {
            pids = new ArrayList<>(running);
            running.clear();
        }
        for (int pid : pids) {
            try {
                Processes.signal(pid, Signal.KILL);
                Processes.waitFor(pid);
            } catch (RuntimeException e) {
                // already reaped elsewhere; nothing left to clean
            }
        }
    }
}
