package dev.herd.listen;

/**
 * A worker that serves its slot now: ready and not retired.
 *
 * @param port the worker's own port in proxy mode, 0 when it accepts on an inherited socket
 */
public record ServingWorker(int slot, long pid, int port) {
}
