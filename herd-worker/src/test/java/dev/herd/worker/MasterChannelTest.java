package dev.herd.worker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The worker's channel outlives its master: when the master is gone and a new one (adopting the worker) binds the
 * channel again at the same path, a worker that listens for the drain connects to it by itself.
 */
class MasterChannelTest {

    /** One master's end: accepts one connection and returns its first line. */
    private static CompletableFuture<String> master(Path path, CompletableFuture<SocketChannel> accepted) throws IOException {
        Files.deleteIfExists(path);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        return CompletableFuture.supplyAsync(() -> {
            try (server) {
                SocketChannel connection = server.accept();
                accepted.complete(connection);
                return new BufferedReader(new InputStreamReader(Channels.newInputStream(connection),
                        StandardCharsets.UTF_8)).readLine();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void aWorkerListeningForTheDrainReconnectsToTheNextMasterAndGetsItsDrain(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("0.0.chan");
        CompletableFuture<SocketChannel> first = new CompletableFuture<>();
        CompletableFuture<String> firstHello = master(path, first);
        MasterChannel channel = new MasterChannel(path);
        CompletableFuture<Void> drained = new CompletableFuture<>();
        channel.onDrain(() -> drained.complete(null));
        assertThat(firstHello.get(5, TimeUnit.SECONDS)).contains("\"type\":\"hello\"");

        first.get().close(); // the master dies
        assertThat(channel.send("status", "text", "no master")).as("dropped while no master runs").isFalse();

        CompletableFuture<SocketChannel> second = new CompletableFuture<>();
        CompletableFuture<String> secondHello = master(path, second);
        assertThat(secondHello.get(10, TimeUnit.SECONDS)).as("the worker found the new master by itself")
                .contains("\"type\":\"hello\"");
        Channels.newOutputStream(second.get()).write("{\"v\":1,\"type\":\"drain\"}\n".getBytes(StandardCharsets.UTF_8));
        drained.get(5, TimeUnit.SECONDS);
        second.get().close();
    }
}
