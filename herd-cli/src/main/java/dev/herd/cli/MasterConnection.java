package dev.herd.cli;

import dev.herd.ClusterSpec;
import dev.herd.StartupException;
import dev.herd.command.Answers;
import dev.herd.control.ControlJson;
import dev.herd.control.ControlProtocol;
import dev.herd.control.ControlServer;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How the commands for a running master reach it: its local control socket, found through the state dir (the
 * default), or its HTTP API with {@code --url} and the access key.
 */
final class MasterConnection {
    /** Exit code when no master answers. */
    static final int NO_MASTER = 3;
    /** Exit code when the master carried out the command and it failed (e.g. an upgrade rolled back). */
    static final int COMMAND_FAILED = 1;
    static final String KEY_ENV = "HERD_ACCESS_KEY";

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "State directory of the master to talk to. Default: the default of 'herd run' for --port.")
    Path stateDir;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", defaultValue = "8080",
            description = "Port of the master to talk to, used to find its default state directory. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--url", paramLabel = "URL",
            description = "Talk to the master's HTTP API instead of its local socket, e.g. http://10.0.0.5:11987 (commands that need local access are refused there).")
    URI url;

    @Option(names = "--key", paramLabel = "KEY",
            description = "Access key for --url. Default: $" + KEY_ENV + ", else the key file in the state directory.")
    String key;

    Path stateDirectory() {
        return (stateDir != null ? stateDir : ClusterSpec.defaultStateDir(port)).toAbsolutePath();
    }

    Path socket() {
        return stateDirectory().resolve(ControlServer.SOCKET_NAME);
    }

    /**
     * Asks the master its version before a command takes the terminal (top, console): no master is one line and exit
     * 3, a refusal (a wrong key) one line and exit 1, either before the screen or the prompt.
     */
    void requireAnswer() {
        ControlProtocol.Answer probe = send("version", java.util.List.of());
        if (!probe.ok()) {
            throw new StartupException(COMMAND_FAILED, probe.error());
        }
    }

    /** Sends a command with its words and returns the master's answer. */
    ControlProtocol.Answer send(String command, java.util.List<String> args) {
        return url != null ? http(command, ControlProtocol.body(args)) : local(ControlProtocol.request(command, args));
    }

    /** Sends a request object (command plus fields, e.g. upgrade's argv and env). */
    ControlProtocol.Answer send(java.util.Map<String, Object> request) {
        if (url == null) {
            return local(ControlJson.write(request));
        }
        java.util.Map<String, Object> body = new java.util.LinkedHashMap<>(request);
        String command = String.valueOf(body.remove("command"));
        return http(command, ControlJson.write(body));
    }

    /** One request line over the local socket; a missing master is a one-line error (exit 3). */
    private ControlProtocol.Answer local(String request) {
        ControlProtocol.Answer[] first = new ControlProtocol.Answer[1];
        localStream(request, line -> {
            first[0] = ControlProtocol.answer(line);
            return false;
        });
        return first[0];
    }

    /**
     * Sends a request line and hands each line the master writes back to {@code onLine} (the answer first, then
     * what a follow request streams) until it returns false or the master closes the connection.
     */
    private void localStream(String request, java.util.function.Predicate<String> onLine) {
        Path socket = socket();
        try {
            Files.readAttributes(socket, java.nio.file.attribute.BasicFileAttributes.class);
        } catch (java.nio.file.AccessDeniedException e) {
            throw permissionDenied(socket);
        } catch (IOException e) {
            throw new StartupException(NO_MASTER, "no master is running with state dir " + socket.getParent()
                    + " (no " + ControlServer.SOCKET_NAME + " there); start one with 'herd run', or pass --state-dir, --port or --url");
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                if (String.valueOf(e.getMessage()).contains("Permission denied")) {
                    throw permissionDenied(socket);
                }
                throw e;
            }
            OutputStream out = Channels.newOutputStream(channel);
            out.write((request + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            String line = in.readLine();
            if (line == null) {
                throw new StartupException(NO_MASTER, "the master at " + socket + " closed the connection without answering");
            }
            boolean more = onLine.test(line);
            while (more && (line = in.readLine()) != null) {
                more = onLine.test(line);
            }
        } catch (IOException e) {
            throw new StartupException(NO_MASTER, "no master answers at " + socket + " (" + e.getMessage()
                    + "); it may have stopped: start one with 'herd run'");
        }
    }

    /**
     * The control socket (or its 0700 state dir) belongs to another user, typically a master run as root: only that
     * user may use the local socket; anyone else goes through the HTTP API with the key.
     */
    private static StartupException permissionDenied(Path socket) {
        String owner;
        try {
            owner = " (owned by " + Files.getOwner(socket.getParent()).getName() + ")";
        } catch (IOException | UnsupportedOperationException e) {
            owner = "";
        }
        return new StartupException(NO_MASTER, "permission denied on " + socket + owner
                + ": run this command as the master's user (e.g. with sudo), or use --url with the access key (--key or $"
                + KEY_ENV + ")");
    }

    /**
     * Sends a command whose answer is a list (events, log lines) and hands on each item as {@code type}, then, with
     * {@code follow}, each object the master streams after it on the local socket.
     */
    private <T> void localFollow(String command, java.util.List<String> args, boolean follow, Class<T> type,
                                 java.util.function.Consumer<T> onItem) {
        boolean[] first = {true};
        localStream(ControlJson.write(ControlProtocol.requestObject(command, args, follow)), line -> {
            if (!first[0]) {
                onItem.accept(ControlJson.convert(ControlJson.parse(line), type));
                return true;
            }
            first[0] = false;
            ControlProtocol.Answer answer = ControlProtocol.answer(line);
            if (!answer.ok()) {
                throw new StartupException(COMMAND_FAILED, answer.error());
            }
            answer.resultList(type).forEach(onItem);
            return follow;
        });
    }

    /**
     * The last events, then (with {@code follow}) each new one as it happens, until the master stops: over the
     * local socket, or the HTTP API's event stream with --url. An event is an object of its id, time, name and
     * fields, in that order.
     */
    @SuppressWarnings("unchecked")
    void events(int count, boolean follow, java.util.function.Consumer<java.util.Map<String, Object>> onEvent) {
        if (url == null) {
            localFollow("events", java.util.List.of(Integer.toString(count)), follow, java.util.Map.class,
                    event -> onEvent.accept((java.util.Map<String, Object>) event));
            return;
        }
        ControlProtocol.Answer answer = send("events", java.util.List.of(Integer.toString(count)));
        if (!answer.ok()) {
            throw new StartupException(COMMAND_FAILED, answer.error());
        }
        long last = 0;
        for (java.util.Map<String, Object> event : (java.util.List<java.util.Map<String, Object>>) (java.util.List<?>) answer.resultList(java.util.Map.class)) {
            onEvent.accept(event);
            last = event.get("id") instanceof Number id ? id.longValue() : 0;
        }
        if (follow) {
            followSse(last, onEvent);
        }
    }

    /**
     * A slot's (or every slot's, {@code slot} "all") last log lines, then (with {@code follow}) each new one, as text:
     * over the local socket, or the HTTP API's {@code /logs} with --url.
     */
    void logs(String slot, int count, boolean follow, java.util.function.Consumer<String> onLine) {
        boolean all = slot.equals("all");
        if (url == null) {
            localFollow("logs", java.util.List.of(slot, Integer.toString(count)), follow, Answers.LogLine.class,
                    line -> onLine.accept(all ? "[" + line.slot() + "] " + line.line() : line.line()));
            return;
        }
        HttpRequest request = HttpRequest.newBuilder(url.resolve("/logs?slot=" + java.net.URLEncoder.encode(slot,
                        StandardCharsets.UTF_8) + "&lines=" + count + (follow ? "&follow=true" : "")))
                .header("Authorization", "Bearer " + accessKey()).GET().build();
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<java.util.stream.Stream<String>> response = client.send(request, HttpResponse.BodyHandlers.ofLines());
            if (response.statusCode() != 200) {
                String body = response.body().collect(java.util.stream.Collectors.joining("\n"));
                String error = body.startsWith("{") ? ControlProtocol.answer(body).error() : body;
                throw new StartupException(COMMAND_FAILED, error.isEmpty() ? url + "/logs answered HTTP " + response.statusCode() : error);
            }
            response.body().forEach(onLine);
        } catch (IOException e) {
            throw new StartupException(NO_MASTER, "the log stream at " + url + " ended: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @SuppressWarnings("unchecked")
    private void followSse(long after, java.util.function.Consumer<java.util.Map<String, Object>> onEvent) {
        HttpRequest request = HttpRequest.newBuilder(url.resolve("/events?after=" + after))
                .header("Authorization", "Bearer " + accessKey()).GET().build();
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<java.util.stream.Stream<String>> response = client.send(request, HttpResponse.BodyHandlers.ofLines());
            if (response.statusCode() != 200) {
                throw new StartupException(COMMAND_FAILED, url + "/events answered HTTP " + response.statusCode());
            }
            response.body().filter(line -> line.startsWith("data: "))
                    .forEach(line -> onEvent.accept((java.util.Map<String, Object>) ControlJson.parse(line.substring(6))));
        } catch (IOException e) {
            throw new StartupException(NO_MASTER, "the event stream at " + url + " ended: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code POST URL/api/COMMAND} with the key; the answer has the same shape as the local socket's. */
    private ControlProtocol.Answer http(String command, String body) {
        URI target = url.resolve("/api/" + command);
        HttpRequest request = HttpRequest.newBuilder(target)
                .header("Authorization", "Bearer " + accessKey())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            try {
                return ControlProtocol.answer(response.body());
            } catch (IllegalStateException e) {
                throw new StartupException(NO_MASTER, url + " answered HTTP " + response.statusCode()
                        + " with something that is not Herd's API; check --url");
            }
        } catch (IOException e) {
            throw new StartupException(NO_MASTER, "no master answers at " + url + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); check --url and that the master runs");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException(NO_MASTER, "interrupted while waiting for " + url);
        }
    }

    private String accessKey() {
        if (key != null) {
            return key;
        }
        String fromEnv = System.getenv(KEY_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.trim();
        }
        try {
            return dev.herd.control.AccessKey.read(stateDirectory());
        } catch (IOException e) {
            throw new StartupException(StartupException.USAGE, "--url needs the access key: pass --key or set $" + KEY_ENV
                    + " (no key file in " + stateDirectory() + ")");
        }
    }
}
