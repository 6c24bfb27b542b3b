package dev.herd.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The local control socket's protocol (docs/api.md): one JSON object per line each way.
 * Request {@code {"command":"reload"}}; answer {@code {"ok":true,"result":...}} or {@code {"ok":false,"error":"..."}}.
 */
public final class ControlProtocol {
    public static final int VERSION = 1;
    /** Longest request line accepted; an upgrade's command line and environment fit easily. */
    public static final int MAX_LINE_BYTES = 1 << 20;

    static final ObjectMapper JSON = new ObjectMapper();

    private ControlProtocol() {
    }

    /** Parses a request line; throws {@link IllegalArgumentException} with a message fit for the caller. */
    public static CommandRequest parse(String line) {
        JsonNode request;
        try {
            request = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("request is not valid JSON: " + e.getOriginalMessage());
        }
        if (request == null || !request.isObject()) {
            throw new IllegalArgumentException("request must be a JSON object like {\"command\":\"status\"}");
        }
        JsonNode command = request.get("command");
        if (command == null || !command.isTextual() || command.asText().isEmpty()) {
            throw new IllegalArgumentException("request needs a \"command\" string, e.g. {\"command\":\"help\"}");
        }
        return request(command.asText(), (ObjectNode) request);
    }

    /**
     * A command with a request object's {@code args} (an array of strings; optional) and its other fields (e.g.
     * upgrade's argv and env).
     */
    static CommandRequest request(String command, ObjectNode body) {
        JsonNode args = body.get("args");
        List<String> words = new ArrayList<>();
        if (args != null && !args.isNull()) {
            if (!args.isArray()) {
                throw new IllegalArgumentException("\"args\" must be an array of strings, e.g. [\"slot\",\"2\"]");
            }
            if (args.size() > MAX_ARGS) {
                throw new IllegalArgumentException("\"args\" has " + args.size() + " items; at most " + MAX_ARGS);
            }
            for (JsonNode arg : args) {
                if (!arg.isTextual() && !arg.isNumber()) {
                    throw new IllegalArgumentException("\"args\" must hold only strings, found " + arg.getNodeType());
                }
                words.add(arg.asText());
            }
        }
        return new CommandRequest(command, words, body);
    }

    /** At most this many words after a command name. */
    static final int MAX_ARGS = 64;

    /** upgrade's request: {@code argv} (required) and {@code env} (optional) from the request object. */
    static dev.herd.command.ControlCommand.Upgrade upgrade(CommandRequest request) {
        try {
            return new dev.herd.command.ControlCommand.Upgrade(stringList(request.field("argv"), "argv"),
                    stringMap(request.field("env"), "env"));
        } catch (IllegalArgumentException e) {
            throw new dev.herd.command.CommandException(e.getMessage());
        }
    }

    private static List<String> stringList(JsonNode node, String field) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw new IllegalArgumentException("upgrade needs \"" + field + "\": a non-empty array of strings (the new command line)");
        }
        List<String> values = new ArrayList<>();
        for (JsonNode item : node) {
            if (!item.isTextual()) {
                throw new IllegalArgumentException("\"" + field + "\" must hold only strings, found " + item.getNodeType());
            }
            values.add(item.asText());
        }
        return values;
    }

    private static Map<String, String> stringMap(JsonNode node, String field) {
        Map<String, String> values = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return values;
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("\"" + field + "\" must be an object of string values");
        }
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            if (!entry.getValue().isTextual() || entry.getKey().isEmpty() || entry.getKey().contains("=")) {
                throw new IllegalArgumentException("\"" + field + "\": '" + entry.getKey()
                        + "' needs a non-empty name without '=' and a string value");
            }
            values.put(entry.getKey(), entry.getValue().asText());
        }
        return values;
    }

    public static String request(String command, String... args) {
        return request(command, List.of(args));
    }

    public static String request(String command, List<String> args) {
        ObjectNode node = JSON.createObjectNode().put("command", command);
        if (!args.isEmpty()) {
            args.forEach(node.putArray("args")::add);
        }
        return node.toString();
    }

    /** An HTTP request body with a command's words: {@code {"args":[...]}}. */
    public static String body(List<String> args) {
        ObjectNode node = JSON.createObjectNode();
        args.forEach(node.putArray("args")::add);
        return node.toString();
    }

    public static ObjectNode upgradeRequestNode(List<String> argv, Map<String, String> env) {
        return (ObjectNode) answer(upgradeRequest(argv, env));
    }

    public static String upgradeRequest(List<String> argv, Map<String, String> env) {
        ObjectNode node = JSON.createObjectNode().put("command", "upgrade");
        argv.forEach(node.putArray("argv")::add);
        ObjectNode envNode = node.putObject("env");
        env.forEach(envNode::put);
        return node.toString();
    }

    public static String ok(Object result) {
        ObjectNode node = JSON.createObjectNode().put("ok", true).put("version", VERSION);
        node.set("result", JSON.valueToTree(result));
        return node.toString();
    }

    public static String error(String message) {
        return JSON.createObjectNode().put("ok", false).put("version", VERSION).put("error", message).toString();
    }

    /** Parses an answer line (client side). */
    public static JsonNode answer(String line) {
        try {
            return JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the master answered something that is not JSON: " + line);
        }
    }
}
