package dev.herd.supervisor;

/** What a slot's workers wrote: the supervisor quotes a failed start's last lines from it. */
public interface WorkerOutput {
    /** Nothing to quote (no logs, e.g. in unit tests). */
    WorkerOutput NONE = new WorkerOutput() {
        @Override
        public long mark(int slot) {
            return 0;
        }

        @Override
        public String lastLines(int slot, long mark) {
            return null;
        }
    };

    /** How much the slot's workers have written so far: taken when a worker is spawned. */
    long mark(int slot);

    /**
     * The last lines the slot's worker, spawned at {@code mark} and now exited, wrote (see {@link LastOutput}),
     * or null when it wrote none or they cannot be read.
     */
    String lastLines(int slot, long mark);
}
