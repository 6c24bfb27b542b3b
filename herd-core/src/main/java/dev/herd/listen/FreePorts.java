package dev.herd.listen;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Private ports for workers that bind their own (proxy and nat modes): a fresh one per worker, since a slot's old
 * and new worker must both be listening during a reload. Asks the kernel for a port free on the address the
 * worker will bind and releases it for the worker; another process could take it in between, and then that
 * worker fails its start and is retried.
 */
final class FreePorts {
    private FreePorts() {
    }

    static int next(String host) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(false);
            probe.bind(new InetSocketAddress(host, 0));
            return probe.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + host + " for a worker", e);
        }
    }
}
