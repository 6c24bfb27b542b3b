package dev.herd.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * Issue 18, item 3: {@code herd systemd-unit} writes units that systemd's own checker ({@code systemd-analyze verify})
 * accepts without a single warning, for the settings given (flags, or a settings file), with socket activation for
 * the socket modes; and it refuses what cannot work in one line.
 */
class SystemdUnitTest {
    private static final Path ANALYZE = Path.of("/usr/bin/systemd-analyze");

    @Test
    void theUnitsForSharedAndReuseportModesPassSystemdAnalyzeVerify() throws Exception {
        assumeThat(Files.isExecutable(ANALYZE)).as("systemd-analyze (package systemd)").isTrue();
        Path dir = Herd.newDir();
        Path settings = dir.resolve("shop.yaml");
        Files.writeString(settings, "port: 8081\nmode: reuseport\nworkers: 3\ndrain-timeout: 40s\n"
                + "command: [/usr/bin/java, -jar, /srv/shop/app.jar]\n");
        Files.setPosixFilePermissions(settings, PosixFilePermissions.fromString("rw-------"));

        List<String> shop = units(dir, "shop", "--socket", "--", "-c", settings.toString());
        String service = shop.get(0);
        String socket = shop.get(1);
        assertThat(service).contains("Type=notify", "NotifyAccess=all", "ExecReload=/bin/kill -HUP $MAINPID",
                "KillMode=mixed", "TimeoutStopSec=55", "WatchdogSec=30", "Requires=shop.socket",
                "RuntimeDirectory=herd/shop", "RuntimeDirectoryPreserve=restart",
                "ExecStart=" + Herd.LAUNCHER + " run -c " + settings + " --state-dir /run/herd/shop\n");
        assertThat(socket).contains("ListenStream=0.0.0.0:8081", "ReusePort=yes", "Backlog=4096");
        verify(dir, "shop", service, socket);

        List<String> plain = units(dir, "plain", "--", "--port", "8082", "--host", "::", "--", "/bin/sh", "-c",
                "exec my-server --greeting 'a $HOME 100%'");
        assertThat(plain).hasSize(1);
        assertThat(plain.get(0)).contains(" -- /bin/sh -c \"exec my-server --greeting 'a $$HOME 100%%'\"");
        verify(dir, "plain", plain.get(0), null);

        List<String> v6 = units(dir, "v6", "--socket", "--", "--port", "8083", "--host", "::");
        assertThat(v6.get(1)).contains("ListenStream=[::]:8083", "BindIPv6Only=both");
        verify(dir, "v6", v6.get(0), v6.get(1));
    }

    @Test
    void whatCannotWorkIsOneLine() {
        Shell.Result proxy = Shell.run(Herd.LAUNCHER.toString(), "systemd-unit", "--socket", "--", "--mode", "proxy",
                "--", "node", "server.js");
        assertThat(proxy.code()).isEqualTo(2);
        Herd.assertOneLine(proxy.output(), "--socket: --mode proxy has each worker bind its own port");
        Shell.Result bad = Shell.run(Herd.LAUNCHER.toString(), "systemd-unit", "--", "--workers", "0");
        assertThat(bad.code()).isEqualTo(2);
        Herd.assertOneLine(bad.output(), "workers: '0' must be between 1 and");
    }

    /** The service unit and, when printed, the socket unit. */
    private static List<String> units(Path dir, String name, String... args) {
        List<String> line = new ArrayList<>(List.of(Herd.LAUNCHER.toString(), "systemd-unit", "--name", name));
        line.addAll(List.of(args));
        Shell.Result result = Shell.run(line);
        assertThat(result.code()).as(result.output()).isZero();
        String text = result.output();
        int socket = text.indexOf("# " + name + ".socket");
        return socket < 0 ? List.of(text) : List.of(text.substring(0, socket), text.substring(socket));
    }

    /** systemd-analyze verify: exit 0 and nothing said about the units (an unknown key or bad value is a warning). */
    private static void verify(Path dir, String name, String service, String socket) throws Exception {
        List<String> command = new ArrayList<>(List.of(ANALYZE.toString(), "verify", "--man=no"));
        Path serviceFile = dir.resolve(name + ".service");
        Files.writeString(serviceFile, service);
        command.add(serviceFile.toString());
        if (socket != null) {
            Path socketFile = dir.resolve(name + ".socket");
            Files.writeString(socketFile, socket);
            command.add(socketFile.toString());
        }
        Shell.Result result = Shell.run(command);
        assertThat(result.code()).as(result.output()).isZero();
        assertThat(result.output()).as("systemd-analyze's warnings").doesNotContain(name + ".service",
                name + ".socket");
    }
}
