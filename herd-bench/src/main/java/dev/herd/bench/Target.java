package dev.herd.bench;

/** One system under test: a cluster of hello workers on a loopback port that can reload them. */
interface Target extends AutoCloseable {

    /** How one reload went: {@code millis} is from the request to the supervisor's "done". */
    record Reload(boolean ok, long millis, String detail) {
    }

    String name();

    /** Starts the cluster and returns once it answers HTTP on {@link #url()}. */
    void start() throws Exception;

    String url();

    /** Requests one reload and waits for it to complete (bounded). */
    Reload reload() throws Exception;

    /** How reload completion is detected, for the report. */
    String completionSignal();

    /** Stops everything this target started; idempotent, never throws. */
    @Override
    void close();
}
