package dev.herd.control;

import dev.herd.command.WorkerState;

import dev.herd.Access;
import dev.herd.command.ClusterStatus;
import dev.herd.command.CommandException;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * An HTTP API on loopback in this JVM, with a small command table instead of a master: {@code status} (read-only),
 * {@code reload} (changes the cluster), {@code stop} (local only), {@code refuse} (a {@link CommandException}),
 * {@code boom} (an unexpected failure).
 */
final class ControlTestRig implements AutoCloseable {
    static final String KEY = "k".repeat(16) + "0123456789abcdef";
    static final ClusterStatus STATUS = new ClusterStatus(42, 8080, 3, null, 2, List.of(
            new ClusterStatus.WorkerInfo(0, 101, 3, WorkerState.READY, false, 1000, null, 0, 0, 0, 0, 0, 0, null),
            new ClusterStatus.WorkerInfo(1, 0, 3, WorkerState.FAILED, false, 0, null, 5, 0, 0, 0, 0, 0, null)));

    final CommandTable commands = table();
    final ApiStats stats = new ApiStats();
    final EventHub events = new EventHub();
    final HttpApi api;
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    int reloads;

    ControlTestRig(boolean allowGet) {
        Supplier<ClusterStatus> status = () -> STATUS;
        Ecv ecv = new Ecv(new InetSocketAddress(InetAddress.getLoopbackAddress(), 1), null, status, InstantSource.system());
        api = HttpApi.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), commands,
                AccessKey.load(KEY, null), allowGet, ecv, stats,
                new HttpApi.Observability(events, new Metrics(Instant.now(), stats), status, null, null),
                new ControlLimits(64, 64, 1024, 10));
    }

    private CommandTable table() {
        CommandTable table = new CommandTable();
        table.add(new CommandDef("status", Access.REMOTE, true, "status", "s", r -> CompletableFuture.completedFuture(STATUS)));
        table.add(new CommandDef("reload", Access.REMOTE, false, "reload", "r", r -> {
            reloads++;
            return CompletableFuture.completedFuture(java.util.Map.of("args", r.args()));
        }));
        table.add(new CommandDef("stop", Access.LOCAL, false, "stop", "s", r -> CompletableFuture.completedFuture("stopping")));
        table.add(new CommandDef("refuse", Access.REMOTE, true, "refuse", "r", r -> {
            throw new CommandException("not now: " + r.args());
        }));
        table.add(new CommandDef("boom", Access.REMOTE, true, "boom", "b",
                r -> CompletableFuture.failedFuture(new IllegalStateException("kaput"))));
        return table;
    }

    URI uri(String pathAndQuery) {
        return URI.create(ControlPlane.url(api.address()) + pathAndQuery);
    }

    HttpResponse<String> send(String method, String pathAndQuery, String key, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        try {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> get(String path) {
        return send("GET", path, KEY, null);
    }

    HttpResponse<String> post(String path, String body) {
        return send("POST", path, KEY, body);
    }

    static String error(HttpResponse<String> response) {
        Object answer = ControlJson.parse(response.body());
        return String.valueOf(((java.util.Map<?, ?>) answer).get("error"));
    }

    @Override
    public void close() {
        client.close();
        api.close();
    }
}
