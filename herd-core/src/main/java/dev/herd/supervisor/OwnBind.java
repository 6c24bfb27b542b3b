package dev.herd.supervisor;

import dev.herd.ListenMode;

import java.util.regex.Pattern;

/**
 * Recognises the commonest way a worker fails under Herd: it binds the cluster's port itself (Jetty's
 * {@code jetty.http.port}, Tomcat's connector, {@code app.listen(PORT)}) instead of serving on the socket Herd hands
 * over, and dies with "Address already in use", because Herd's socket holds the port. Its last output says so in
 * every runtime's words: Java's {@code BindException}, Node's {@code EADDRINUSE}, Python's and Go's strerror text.
 */
final class OwnBind {
    private static final Pattern IN_USE = Pattern.compile("(?i)address already in use|EADDRINUSE");

    private OwnBind() {
    }

    /**
     * True when a worker that failed to start said its address was in use, in a mode where Herd hands the socket
     * over (in proxy and nat mode each worker binds a port of its own, and a port in use there means something else).
     */
    static boolean saidSo(ListenMode mode, String lastOutput) {
        return (mode == ListenMode.SHARED || mode == ListenMode.REUSEPORT) && lastOutput != null
                && IN_USE.matcher(lastOutput).find();
    }

    static String hint(int port, int socketFd) {
        String where = socketFd == 0
                ? "the socket on fd 0 (Java: System.inheritedChannel(); Jetty: the herd module; Tomcat: useInheritedChannel)"
                : "the socket on fd 3 (LISTEN_FDS=1, systemd socket activation)";
        return "the worker binds port " + port + " itself; Herd already holds it: serve on " + where
                + " instead (README, \"Servers people run\")";
    }
}
