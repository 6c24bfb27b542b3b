package dev.herd.control;

import dev.herd.Access;
import dev.herd.command.CommandException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** The local socket in this JVM: the same command table at local access, errors as lines on the same connection. */
class ControlServerTest {
    @TempDir
    Path dir;

    @Test
    void answersEachRequestLineInOrderOnOneConnection() throws Exception {
        CommandTable table = new CommandTable();
        table.add(new CommandDef("status", Access.REMOTE, true, "status", "s",
                r -> CompletableFuture.completedFuture(ControlTestRig.STATUS)));
        table.add(new CommandDef("stop", Access.LOCAL, false, "stop", "s",
                r -> CompletableFuture.completedFuture(java.util.Map.of("stopping", true))));
        table.add(new CommandDef("refuse", Access.REMOTE, true, "refuse", "r", r -> {
            throw new CommandException("not now");
        }));
        table.add(new CommandDef("boom", Access.REMOTE, true, "boom", "b",
                r -> CompletableFuture.failedFuture(new IllegalStateException("kaput"))));
        table.add(new CommandDef("inproc", Access.INPROC, true, "inproc", "i",
                r -> CompletableFuture.completedFuture(1)));
        try (ControlServer server = ControlServer.open(dir, table, new Streams(new EventHub(), null), 4);
             SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(server.path()));
            OutputStream out = Channels.newOutputStream(channel);
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            List<String> requests = List.of("{\"command\":\"status\"}", "{\"command\":\"stop\"}", "not json", "[1]",
                    "{\"command\":3}", "{\"command\":\"relaod\"}", "{\"command\":\"refuse\"}", "{\"command\":\"boom\"}",
                    "{\"command\":\"inproc\"}", "{\"command\":\"status\",\"args\":[true]}");
            for (String request : requests) {
                out.write((request + "\n").getBytes(StandardCharsets.UTF_8));
            }
            out.flush();
            assertThat(in.readLine()).startsWith("{\"ok\":true,\"version\":1,\"result\":{\"masterPid\":42,").contains("\"state\":\"ready\"");
            assertThat(in.readLine()).isEqualTo("{\"ok\":true,\"version\":1,\"result\":{\"stopping\":true}}");
            assertThat(in.readLine()).startsWith("{\"ok\":false,\"version\":1,\"error\":\"request is not valid JSON: ");
            assertThat(in.readLine()).isEqualTo(error("request must be a JSON object like {\\\"command\\\":\\\"status\\\"}"));
            assertThat(in.readLine()).isEqualTo(error("request needs a \\\"command\\\" string, e.g. {\\\"command\\\":\\\"help\\\"}"));
            assertThat(in.readLine()).isEqualTo(error("unknown command 'relaod'; commands: [status, stop, refuse, boom, inproc]"));
            assertThat(in.readLine()).isEqualTo(error("not now"));
            assertThat(in.readLine()).isEqualTo(error("internal error: java.lang.IllegalStateException: kaput"));
            assertThat(in.readLine()).contains("needs inproc access; a local caller may not run it");
            assertThat(in.readLine()).isEqualTo(error("\\\"args\\\" must hold only strings, found BOOLEAN"));
        }
    }

    private static String error(String escapedMessage) {
        return "{\"ok\":false,\"version\":1,\"error\":\"" + escapedMessage + "\"}";
    }
}
