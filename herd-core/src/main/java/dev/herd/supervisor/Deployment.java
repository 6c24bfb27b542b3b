package dev.herd.supervisor;

import java.util.List;
import java.util.Map;

/**
 * What one generation runs: the command line and the environment added to the master's. A reload makes a new
 * generation of the same deployment; an upgrade makes one with a new command or environment.
 */
record Deployment(int generation, List<String> argv, Map<String, String> env) {
    Deployment {
        argv = List.copyOf(argv);
        env = Map.copyOf(env);
    }

    /** The same command and environment as a new generation. */
    Deployment withGeneration(int newGeneration) {
        return new Deployment(newGeneration, argv, env);
    }
}
