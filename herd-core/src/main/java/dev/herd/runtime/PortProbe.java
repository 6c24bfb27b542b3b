package dev.herd.runtime;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/** Readiness {@code listening} in proxy mode: the worker's private port accepts a connection. */
final class PortProbe {
    private static final int CONNECT_TIMEOUT_MILLIS = 50;

    private PortProbe() {
    }

    static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), CONNECT_TIMEOUT_MILLIS);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
