package dev.herd.control;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.herd.Access;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The command set over HTTP, for a remote caller: {@code /api/NAME} (read-only commands answer GET with words as
 * repeated {@code ?arg=}; every command answers POST with an optional JSON body {@code {"args":[...]}}) and
 * cluster-service's {@code /cli?cmd=WORDS} (its status codes: a refused level is 401).
 */
final class CommandEndpoint {
    private final CommandTable commands;
    private final boolean allowGet;

    /** @param allowGet whether {@code /cli} answers GET too ({@code --api-allow-get}) */
    CommandEndpoint(CommandTable commands, boolean allowGet) {
        this.commands = commands;
        this.allowGet = allowGet;
    }

    /** {@code /api/NAME}. */
    HttpHandler api() {
        return exchange -> {
            String name = Exchanges.path(exchange).substring("/api/".length());
            if (name.contains("/")) {
                Exchanges.error(exchange, 404, "no such endpoint /api/" + Exchanges.clip(name) + "; commands are /api/NAME");
                return;
            }
            var command = commands.find(name);
            if (command.isEmpty()) {
                Exchanges.error(exchange, 404, "unknown command '" + Exchanges.clip(name) + "'; GET /api/help lists them");
                return;
            }
            String method = exchange.getRequestMethod();
            if (Exchanges.isGet(exchange)) {
                if (!command.get().readOnly()) {
                    AllowedMethods.refuse(exchange, "POST", "command '" + name + "' changes the cluster: use POST");
                    return;
                }
                run(exchange, new CommandRequest(name, Exchanges.query(exchange).all("arg"), null), false);
                return;
            }
            if (!method.equals("POST")) {
                AllowedMethods.refuse(exchange, command.get().readOnly() ? "GET, POST" : "POST",
                        "method " + Exchanges.clip(method) + " is not allowed; use POST");
                return;
            }
            Map<String, Object> body;
            try {
                body = RequestBody.jsonObject(exchange);
            } catch (RequestBody.Refused e) {
                Exchanges.error(exchange, e.status, e.getMessage());
                return;
            }
            CommandRequest request;
            try {
                request = ControlProtocol.request(name, body);
            } catch (IllegalArgumentException e) {
                Exchanges.error(exchange, 400, e.getMessage());
                return;
            }
            run(exchange, request, false);
        };
    }

    /** cluster-service's {@code /cli?cmd=...}: 401 bad key or access level, 404 unknown command, 400 when it fails. */
    HttpHandler cli() {
        return exchange -> {
            String cmd = Exchanges.query(exchange).first("cmd");
            if (cmd == null || cmd.isBlank()) {
                Exchanges.error(exchange, 400, "/cli needs ?cmd=COMMAND (words separated by spaces, e.g. cmd=restart%20all)");
                return;
            }
            List<String> words = new ArrayList<>(Arrays.asList(cmd.trim().split("\\s+")));
            if (words.size() > ControlProtocol.MAX_ARGS + 1) {
                Exchanges.error(exchange, 400, "cmd has " + words.size() + " words; at most " + (ControlProtocol.MAX_ARGS + 1));
                return;
            }
            String name = words.removeFirst();
            run(exchange, new CommandRequest(name, words, null), true);
        };
    }

    /** The methods {@code /cli} answers. */
    AllowedMethods cliMethods() {
        return new AllowedMethods(allowGet ? java.util.Set.of("POST", "GET") : java.util.Set.of("POST"),
                allowGet ? "GET, POST" : "POST",
                method -> "use POST for /cli" + (allowGet ? "" : " (GET is off; the master's --api-allow-get turns it on)"));
    }

    private void run(HttpExchange exchange, CommandRequest request, boolean clusterServiceCodes) throws IOException {
        Object result;
        try {
            result = commands.run(request, Access.REMOTE).join();
        } catch (RuntimeException e) {
            ControlErrors error = ControlErrors.of(e, request.name(), "api.command_error");
            int status = clusterServiceCodes && error.status() == 403 ? 401 : error.status();
            Exchanges.error(exchange, status, error.message());
            return;
        }
        Exchanges.json(exchange, 200, ControlProtocol.ok(result));
    }
}
