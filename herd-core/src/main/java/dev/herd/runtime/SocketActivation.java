package dev.herd.runtime;

import dev.herd.ClusterSpec;
import dev.herd.ListenMode;
import dev.herd.StartupException;
import dev.herd.os.ListenSocket;
import dev.herd.os.NativeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * systemd socket activation in ({@code sd_listen_fds}): when the master's environment says {@code LISTEN_PID=} its
 * own pid and {@code LISTEN_FDS=N}, the service manager bound the port and passed the sockets on fds 3 to 3+N-1, and
 * the master serves those instead of binding. The port is then open before Herd starts and stays open across a
 * restart of the service: connections wait in the backlog instead of being refused. Shared mode takes one socket;
 * reuseport mode takes one per slot (they must have SO_REUSEPORT, {@code ReusePort=yes}) and binds the other slots
 * into their group. Anything that does not fit (another mode, a socket on another address than {@code --host}/
 * {@code --port}, not a TCP listening socket, too many) stops the master before it starts, in one line.
 */
final class SocketActivation {
    private static final Logger log = LoggerFactory.getLogger(SocketActivation.class);
    static final String LISTEN_PID = "LISTEN_PID";
    static final String LISTEN_FDS = "LISTEN_FDS";
    private static final int FIRST_FD = 3;
    private static final int MAX_FDS = 1024;

    private SocketActivation() {
    }

    /** The sockets passed to this process, checked against the spec; empty when none were. */
    static List<ListenSocket> take(Map<String, String> env, ClusterSpec spec, InetSocketAddress address) {
        String pid = env.get(LISTEN_PID);
        String fds = env.get(LISTEN_FDS);
        if (fds == null || pid == null || !pid.equals(Long.toString(ProcessHandle.current().pid()))) {
            return List.of(); // not for this process (sd_listen_fds ignores them too)
        }
        int count;
        try {
            count = Integer.parseInt(fds.strip());
        } catch (NumberFormatException e) {
            count = -1;
        }
        if (count < 1 || count > MAX_FDS) {
            throw usage("'" + fds + "' is not a number of sockets between 1 and " + MAX_FDS);
        }
        if (spec.mode() == ListenMode.PROXY || spec.mode() == ListenMode.NAT) {
            throw usage("systemd passed " + plural(count) + ", but --mode " + spec.mode().label() + " has each worker bind"
                    + " its own port; use --mode shared or reuseport with a .socket unit, or start Herd without one");
        }
        if (spec.mode() == ListenMode.SHARED && count != 1) {
            throw usage("systemd passed " + plural(count) + "; --mode shared serves one: give the .socket unit a"
                    + " single ListenStream=, or use --mode reuseport (ReusePort=yes) for one per slot");
        }
        if (count > spec.workers()) {
            throw usage("systemd passed " + plural(count) + " for " + spec.workers() + " workers; --mode reuseport takes"
                    + " at most one per slot");
        }
        List<ListenSocket> sockets = new ArrayList<>();
        try {
            for (int fd = FIRST_FD; fd < FIRST_FD + count; fd++) {
                ListenSocket socket = take(fd);
                sockets.add(socket);
                check(socket, fd, spec, address);
            }
        } catch (RuntimeException e) {
            sockets.forEach(ListenSocket::close);
            throw e;
        }
        log.info("event=socket_activation.taken sockets={} address={}", count,
                ClusterRunner.format(sockets.getFirst().localAddress()));
        return List.copyOf(sockets);
    }

    private static ListenSocket take(int fd) {
        try {
            return ListenSocket.fromServiceManager(fd);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage() + "; the .socket unit must pass listening TCP sockets (ListenStream=)");
        } catch (NativeException e) {
            throw usage("fd " + fd + ": " + e.getMessage());
        }
    }

    private static void check(ListenSocket socket, int fd, ClusterSpec spec, InetSocketAddress address) {
        InetSocketAddress bound = socket.localAddress();
        boolean portMatches = address.getPort() == 0 || address.getPort() == bound.getPort();
        if (!portMatches || !address.getAddress().equals(bound.getAddress())) {
            throw usage("systemd passed a socket on " + ClusterRunner.format(bound) + " (fd " + fd
                    + "), but Herd is set to listen on " + ClusterRunner.format(address) + " (--host, --port);"
                    + " make them the same: --host " + bound.getAddress().getHostAddress() + " --port "
                    + bound.getPort() + ", or change ListenStream= in the .socket unit");
        }
        if (spec.mode() == ListenMode.REUSEPORT && !socket.reusesPort()) {
            throw usage("the socket on fd " + fd + " has no SO_REUSEPORT, which --mode reuseport needs to bind one socket"
                    + " per slot beside it; set ReusePort=yes in the .socket unit, or use --mode shared");
        }
    }

    private static String plural(int count) {
        return count == 1 ? "1 socket" : count + " sockets";
    }

    private static StartupException usage(String message) {
        return new StartupException(StartupException.USAGE, "LISTEN_FDS: " + message);
    }
}
