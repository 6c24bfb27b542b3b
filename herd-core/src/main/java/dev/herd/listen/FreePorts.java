package dev.herd.listen;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Private ports for proxy-mode workers: a fresh one per worker, since a slot's old and new worker must both be
 * listening during a reload. Asks the kernel for a free loopback port and releases it for the worker to bind;
 * another process could take it in between, and then that worker fails its start and is retried.
 */
final class FreePorts {
    private FreePorts() {
    }

    static int next() {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(false);
            probe.bind(new InetSocketAddress(ProxyListener.LOOPBACK, 0));
            return probe.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port for a proxied worker", e);
        }
    }
}
