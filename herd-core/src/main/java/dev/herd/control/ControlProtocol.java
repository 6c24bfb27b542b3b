package dev.herd.control;

import dev.herd.command.CommandException;
import dev.herd.command.ControlCommand;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The local control socket's protocol (docs/api.md): one JSON object per line each way.
 * Request {@code {"command":"reload"}}; answer {@code {"ok":true,"result":...}} or {@code {"ok":false,"error":"..."}}.
 * The JSON itself is {@link ControlJson}'s.
 */
public final class ControlProtocol {
    public static final int VERSION = 1;
    /** Longest request line accepted; an upgrade's command line and environment fit easily. */
    public static final int MAX_LINE_BYTES = 1 << 20;
    /** At most this many words after a command name. */
    static final int MAX_ARGS = 64;

    private ControlProtocol() {
    }

    /** Parses a request line; throws {@link IllegalArgumentException} with a message fit for the caller. */
    public static CommandRequest parse(String line) {
        Object request;
        try {
            request = ControlJson.parse(line);
        } catch (ControlJson.Malformed e) {
            throw new IllegalArgumentException("request is not valid JSON: " + e.getMessage());
        }
        if (!(request instanceof Map<?, ?> object)) {
            throw new IllegalArgumentException("request must be a JSON object like {\"command\":\"status\"}");
        }
        if (!(object.get("command") instanceof String command) || command.isEmpty()) {
            throw new IllegalArgumentException("request needs a \"command\" string, e.g. {\"command\":\"help\"}");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = (Map<String, Object>) object;
        return request(command, fields);
    }

    /**
     * A command with a request object's {@code args} (an array of strings; optional) and its other fields (e.g.
     * upgrade's argv and env).
     */
    static CommandRequest request(String command, Map<String, Object> body) {
        Object args = body.get("args");
        List<String> words = new ArrayList<>();
        if (args != null) {
            if (!(args instanceof List<?> list)) {
                throw new IllegalArgumentException("\"args\" must be an array of strings, e.g. [\"slot\",\"2\"]");
            }
            if (list.size() > MAX_ARGS) {
                throw new IllegalArgumentException("\"args\" has " + list.size() + " items; at most " + MAX_ARGS);
            }
            for (Object arg : list) {
                if (!(arg instanceof String) && !(arg instanceof Number)) {
                    throw new IllegalArgumentException("\"args\" must hold only strings, found " + ControlJson.kind(arg));
                }
                words.add(String.valueOf(arg));
            }
        }
        return new CommandRequest(command, words, body);
    }

    /** upgrade's request: {@code argv} (required) and {@code env} (optional) from the request object. */
    static ControlCommand.Upgrade upgrade(CommandRequest request) {
        try {
            return new ControlCommand.Upgrade(stringList(request.field("argv"), "argv"), stringMap(request.field("env"), "env"));
        } catch (IllegalArgumentException e) {
            throw new CommandException(e.getMessage());
        }
    }

    private static List<String> stringList(Object node, String field) {
        if (!(node instanceof List<?> items) || items.isEmpty()) {
            throw new IllegalArgumentException("upgrade needs \"" + field + "\": a non-empty array of strings (the new command line)");
        }
        List<String> values = new ArrayList<>();
        for (Object item : items) {
            if (!(item instanceof String text)) {
                throw new IllegalArgumentException("\"" + field + "\" must hold only strings, found " + ControlJson.kind(item));
            }
            values.add(text);
        }
        return values;
    }

    private static Map<String, String> stringMap(Object node, String field) {
        Map<String, String> values = new LinkedHashMap<>();
        if (node == null) {
            return values;
        }
        if (!(node instanceof Map<?, ?> entries)) {
            throw new IllegalArgumentException("\"" + field + "\" must be an object of string values");
        }
        for (Map.Entry<?, ?> entry : entries.entrySet()) {
            String name = String.valueOf(entry.getKey());
            if (!(entry.getValue() instanceof String value) || name.isEmpty() || name.contains("=")) {
                throw new IllegalArgumentException("\"" + field + "\": '" + name
                        + "' needs a non-empty name without '=' and a string value");
            }
            values.put(name, value);
        }
        return values;
    }

    public static String request(String command, List<String> args) {
        return ControlJson.write(requestObject(command, args, false));
    }

    /** A request object: {@code {"command":...,"args":[...]}} (no args field when there are none), maybe following. */
    public static Map<String, Object> requestObject(String command, List<String> args, boolean follow) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("command", command);
        if (!args.isEmpty()) {
            node.put("args", List.copyOf(args));
        }
        if (follow) {
            node.put("follow", true);
        }
        return node;
    }

    /** An HTTP request body with a command's words: {@code {"args":[...]}}. */
    public static String body(List<String> args) {
        return ControlJson.write(Map.of("args", List.copyOf(args)));
    }

    /** upgrade's request object: {@code {"command":"upgrade","argv":[...],"env":{...}}}. */
    public static Map<String, Object> upgradeRequest(List<String> argv, Map<String, String> env) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("command", "upgrade");
        node.put("argv", List.copyOf(argv));
        node.put("env", new LinkedHashMap<>(env));
        return node;
    }

    public static String ok(Object result) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("ok", true);
        node.put("version", VERSION);
        node.put("result", result);
        return ControlJson.write(node);
    }

    public static String error(String message) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("ok", false);
        node.put("version", VERSION);
        node.put("error", message);
        return ControlJson.write(node);
    }

    /**
     * An answer as the client reads it: whether the command ran, its result (plain Java values, see
     * {@link ControlJson}; read it into a result record with {@link #result(Class)}) or its error, and the text
     * itself.
     */
    public record Answer(boolean ok, Object result, String error, String text) {
        public <T> T result(Class<T> type) {
            return ControlJson.convert(result, type);
        }

        public <T> List<T> resultList(Class<T> type) {
            return ControlJson.convertList(result, type);
        }
    }

    /** Parses an answer line (client side). */
    public static Answer answer(String line) {
        Object value;
        try {
            value = ControlJson.parse(line);
        } catch (ControlJson.Malformed e) {
            throw new IllegalStateException("the master answered something that is not JSON: " + line);
        }
        if (!(value instanceof Map<?, ?> object)) {
            throw new IllegalStateException("the master answered something that is not a JSON object: " + line);
        }
        return new Answer(Boolean.TRUE.equals(object.get("ok")), object.get("result"),
                object.get("error") instanceof String error ? error : "", line);
    }
}
