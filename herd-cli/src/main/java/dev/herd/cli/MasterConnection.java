package dev.herd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herd.ClusterSpec;
import dev.herd.StartupException;
import dev.herd.control.ControlProtocol;
import dev.herd.control.ControlServer;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Options and code shared by the commands that talk to a running master over its local control socket. */
final class MasterConnection {
    /** Exit code when no master answers. */
    static final int NO_MASTER = 3;
    /** Exit code when the master carried out the command and it failed (e.g. an upgrade rolled back). */
    static final int COMMAND_FAILED = 1;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "State directory of the master to talk to. Default: the default of 'herd run' for --port.")
    Path stateDir;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", defaultValue = "8080",
            description = "Port of the master to talk to, used to find its default state directory. Default: ${DEFAULT-VALUE}.")
    int port;

    Path socket() {
        Path dir = stateDir != null ? stateDir : ClusterSpec.defaultStateDir(port);
        return dir.toAbsolutePath().resolve(ControlServer.SOCKET_NAME);
    }

    /** Sends one request line and returns the answer; a missing master is a one-line error (exit 3). */
    JsonNode send(String request) {
        Path socket = socket();
        if (!Files.exists(socket)) {
            throw new StartupException(NO_MASTER, "no master is running with state dir " + socket.getParent()
                    + " (no " + ControlServer.SOCKET_NAME + " there); start one with 'herd run', or pass --state-dir or --port");
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            OutputStream out = Channels.newOutputStream(channel);
            out.write((request + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            String line = in.readLine();
            if (line == null) {
                throw new StartupException(NO_MASTER, "the master at " + socket + " closed the connection without answering");
            }
            return ControlProtocol.answer(line);
        } catch (IOException e) {
            throw new StartupException(NO_MASTER, "no master answers at " + socket + " (" + e.getMessage()
                    + "); it may have stopped: start one with 'herd run'");
        }
    }
}
