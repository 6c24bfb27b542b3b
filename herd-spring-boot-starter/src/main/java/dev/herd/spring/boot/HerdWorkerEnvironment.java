package dev.herd.spring.boot;

import org.springframework.core.env.Environment;

/** Whether the application runs as a Herd worker, from the variables Herd sets for each worker it starts. */
final class HerdWorkerEnvironment {
    /** Set by Herd for every worker, in every mode. */
    static final String WORKER_ID = "HERD_WORKER_ID";
    /** Set in the modes where each worker binds a private port of its own (proxy, nat): that port, and its host. */
    static final String PRIVATE_PORT = "HERD_PORT";
    static final String PRIVATE_HOST = "HERD_HOST";
    /** Herd's {@code --drain-timeout} in ms: how long the worker has after SIGTERM before SIGKILL. */
    static final String DRAIN_TIMEOUT = "HERD_DRAIN_TIMEOUT_MS";
    /** {@code herd.enabled=false} turns the starter off under Herd too. */
    static final String ENABLED = "herd.enabled";

    private HerdWorkerEnvironment() {
    }

    /** True under Herd unless {@code herd.enabled} is false. */
    static boolean active(Environment environment) {
        return environment.getProperty(WORKER_ID) != null
                && environment.getProperty(ENABLED, Boolean.class, Boolean.TRUE);
    }

    /** True when Herd gave the worker a private port to bind ({@code --mode proxy} or {@code nat}). */
    static boolean ownPort(Environment environment) {
        return environment.getProperty(PRIVATE_HOST) != null && environment.getProperty(PRIVATE_PORT) != null;
    }
}
