package dev.herd.listen;

import dev.herd.os.ListenSocket;

import java.net.InetSocketAddress;

/** One socket for every slot: whichever worker is waiting in accept() gets the next connection. */
final class SharedListener implements Listeners {
    private final ListenSocket socket;

    SharedListener(ListenSocket socket) {
        this.socket = socket;
    }

    @Override
    public ListenSocket socketFor(int slot) {
        return socket;
    }

    @Override
    public InetSocketAddress address() {
        return socket.localAddress();
    }

    @Override
    public void servingChanged(java.util.List<ServingWorker> serving) {
        // one queue for all: a connection waits for whichever worker accepts next
    }

    @Override
    public void close() {
        socket.close();
    }
}
