package dev.herd.cli;

import dev.herd.ClusterSpec;
import dev.herd.Durations;
import dev.herd.ListenMode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.Inet6Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * {@code herd systemd-unit}: a systemd service unit (and with {@code --socket} a socket unit) that runs
 * {@code herd run} with the given settings: {@code Type=notify} (the master says READY=1, RELOADING=1, STOPPING=1
 * and pings the watchdog), reload by SIGHUP, {@code KillMode=mixed} so that stopping is the master's drain, a stop
 * timeout above the drain timeout, and the state dir as a runtime directory kept across restarts.
 */
@Command(name = "systemd-unit", mixinStandardHelpOptions = true,
        description = {"Prints a systemd service unit that runs 'herd run' with these settings (and, with --socket,"
                + " the socket unit that binds its port: socket activation). Give herd run's options and command"
                + " after '--', or a settings file: herd systemd-unit --name shop --socket -- -c /etc/herd/shop.yaml"},
        footer = {"", "Install: herd systemd-unit --name shop -- -c /etc/herd/shop.yaml > /etc/systemd/system/shop.service",
                "then systemctl daemon-reload && systemctl enable --now shop (see docs/deploy.md)."})
final class SystemdUnitCommand implements Callable<Integer> {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9:_.\\\\-]+");
    /** The master's drain plus time to start and stop the JVMs. */
    private static final Duration STOP_MARGIN = Duration.ofSeconds(15);
    private static final Duration WATCHDOG = Duration.ofSeconds(30);

    @Option(names = "--name", paramLabel = "NAME", description = "The unit's name (NAME.service, NAME.socket)."
            + " Default: herd-PORT.")
    String name;

    @Option(names = "--socket", description = "Also print NAME.socket, which binds the port and hands it to the"
            + " master (shared or reuseport mode), so the port stays open across restarts.")
    boolean socket;

    @Option(names = "--herd", paramLabel = "PATH", description = "The herd launcher ExecStart runs. Default: this one"
            + " (${HERD_LAUNCHER:-herd}).")
    String herd;

    @Parameters(paramLabel = "RUN-ARGS", arity = "0..*", description = "herd run's options and command, after '--'.")
    List<String> runArgs = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        ClusterSpec[] captured = new ClusterSpec[1];
        RunCommand run = new RunCommand((clusterSpec, listeners) -> {
            captured[0] = clusterSpec;
            return 0;
        });
        CommandLine runLine = new CommandLine(run.spec());
        try {
            runLine.parseArgs(runArgs.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "herd run's arguments: " + e.getMessage());
        }
        run.call(); // every check herd run makes before it starts
        ClusterSpec cluster = captured[0];
        String unit = name != null ? name : "herd-" + cluster.port();
        if (!NAME.matcher(unit).matches()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--name: '" + unit + "' is not a unit name;"
                    + " use letters, digits and - _ . :");
        }
        if (socket && cluster.mode() != ListenMode.SHARED && cluster.mode() != ListenMode.REUSEPORT) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--socket: --mode " + cluster.mode().label()
                    + " has each worker bind its own port, so there is no socket for systemd to pass; use --mode shared"
                    + " or reuseport, or leave --socket out");
        }
        String launcher = herd != null ? herd : System.getenv().getOrDefault("HERD_LAUNCHER", "herd");
        PrintWriter out = spec.commandLine().getOut();
        out.print(service(unit, launcher, cluster));
        if (socket) {
            out.println();
            out.print(socketUnit(unit, cluster));
        }
        out.flush();
        return 0;
    }

    private String service(String unit, String launcher, ClusterSpec cluster) {
        List<String> args = new ArrayList<>(runArgs);
        boolean ownStateDir = runArgs.stream().anyMatch(a -> a.equals("--state-dir") || a.startsWith("--state-dir="));
        String runtimeDir = "herd/" + unit;
        StringBuilder b = new StringBuilder();
        b.append("# ").append(unit).append(".service, written by herd systemd-unit: /etc/systemd/system/")
                .append(unit).append(".service\n");
        b.append("[Unit]\n");
        b.append("Description=Herd cluster ").append(unit).append(" on port ").append(cluster.port()).append('\n');
        b.append("After=network-online.target").append(socket ? " " + unit + ".socket" : "").append('\n');
        b.append("Wants=network-online.target\n");
        if (socket) {
            b.append("Requires=").append(unit).append(".socket\n");
        }
        b.append("\n[Service]\n");
        b.append("# READY=1 once every slot has a ready worker; RELOADING=1 around a reload; STOPPING=1; watchdog pings\n");
        b.append("Type=notify\n");
        b.append("# herd upgrade-master replaces the master: the new one sends MAINPID= itself\n");
        b.append("NotifyAccess=all\n");
        if (!ownStateDir) {
            // /run/herd/NAME: made by systemd, kept across restarts so a new master adopts what a crashed one left
            args.addAll(insertionPoint(args), List.of("--state-dir", "/run/" + runtimeDir));
        }
        b.append("ExecStart=").append(quote(launcher)).append(" run");
        for (String arg : args) {
            b.append(' ').append(quote(arg));
        }
        b.append('\n');
        b.append("# a rolling reload, no connection dropped (herd reload does the same)\n");
        b.append("ExecReload=/bin/kill -HUP $MAINPID\n");
        b.append("# SIGTERM to the master alone: it drains its workers; whatever is left after the timeout is killed\n");
        b.append("KillMode=mixed\n");
        b.append("TimeoutStopSec=").append(cluster.drainTimeout().plus(STOP_MARGIN).toSeconds()).append('\n');
        b.append("TimeoutStartSec=").append(cluster.startTimeout().plus(STOP_MARGIN).toSeconds()).append('\n');
        b.append("WatchdogSec=").append(WATCHDOG.toSeconds()).append('\n');
        b.append("Restart=on-failure\n");
        b.append("RestartSec=1\n");
        if (!ownStateDir) {
            b.append("RuntimeDirectory=").append(runtimeDir).append('\n');
            b.append("RuntimeDirectoryMode=0700\n");
            b.append("RuntimeDirectoryPreserve=restart\n");
        }
        b.append("# the service is installed: never build on start\n");
        b.append("Environment=HERD_NO_BUILD=1\n");
        b.append("LimitNOFILE=").append(Math.max(65536, cluster.workers() * 4096L)).append('\n');
        b.append("\n[Install]\n");
        b.append("WantedBy=multi-user.target\n");
        b.append("# commands: herd status --state-dir ").append(ownStateDir ? "DIR" : "/run/" + runtimeDir)
                .append("; systemctl reload ").append(unit).append(" (rolling reload); drain timeout ")
                .append(Durations.format(cluster.drainTimeout())).append('\n');
        return b.toString();
    }

    private String socketUnit(String unit, ClusterSpec cluster) {
        StringBuilder b = new StringBuilder();
        b.append("# ").append(unit).append(".socket, written by herd systemd-unit: /etc/systemd/system/")
                .append(unit).append(".socket\n");
        b.append("[Unit]\n");
        b.append("Description=Herd cluster ").append(unit).append(": its listening socket\n");
        b.append("\n[Socket]\n");
        b.append("ListenStream=").append(listenAddress(cluster)).append('\n');
        b.append("Backlog=").append(cluster.backlog()).append('\n');
        if (cluster.mode() == ListenMode.REUSEPORT) {
            b.append("# the master binds one more socket per slot into this one's group\n");
            b.append("ReusePort=yes\n");
        }
        if (isWildcardV6(cluster.host())) {
            b.append("BindIPv6Only=both\n");
        }
        b.append("\n[Install]\n");
        b.append("WantedBy=sockets.target\n");
        return b.toString();
    }

    /** herd run's options go before its command's '--'. */
    private static int insertionPoint(List<String> args) {
        int dashes = args.indexOf("--");
        return dashes < 0 ? args.size() : dashes;
    }

    private static String listenAddress(ClusterSpec cluster) {
        String host = cluster.host();
        try {
            if (InetAddress.getByName(host) instanceof Inet6Address) {
                return "[" + host + "]:" + cluster.port();
            }
        } catch (java.net.UnknownHostException e) {
            // herd run's own checks refuse a host it cannot resolve before this
        }
        return host + ":" + cluster.port();
    }

    private static boolean isWildcardV6(String host) {
        return host.equals("::") || host.equals("[::]");
    }

    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    /** A word of ExecStart= as systemd splits it: double-quoted (with its escapes) unless plain; '$' and '%' doubled. */
    static String quote(String word) {
        String escaped = word.replace("%", "%%").replace("$", "$$");
        if (PLAIN.matcher(word).matches()) {
            return escaped;
        }
        return "\"" + escaped.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
