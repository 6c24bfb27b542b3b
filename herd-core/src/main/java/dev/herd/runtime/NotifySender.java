package dev.herd.runtime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Optional;

/**
 * Datagrams to the service manager's {@code NOTIFY_SOCKET} (sd_notify), for the master itself (its workers have their
 * own sockets): a path, or {@code @NAME} for an abstract socket. A datagram that cannot be sent is logged once and the
 * master goes on: the service manager is a spectator.
 */
final class NotifySender {
    private static final Logger log = LoggerFactory.getLogger(NotifySender.class);

    private final String socket;
    private boolean failedOnce;

    private NotifySender(String socket) {
        this.socket = socket;
    }

    /** The sender for this master's {@code NOTIFY_SOCKET}, when systemd gave it one it can use. */
    static Optional<NotifySender> fromEnvironment(Map<String, String> env) {
        String socket = env.get("NOTIFY_SOCKET");
        if (socket == null || socket.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new NotifySender(socket));
    }

    void send(String message) {
        try {
            dev.herd.os.NotifySocket.sendTo(socket, message);
        } catch (RuntimeException e) {
            if (!failedOnce) {
                failedOnce = true;
                log.warn("event=notify.failed socket={} error=\"{}\" effect=\"the service manager may not hear"
                        + " from this master\"", socket, e.getMessage());
            }
        }
    }
}
