package dev.herd.wire;

import dev.herd.control.ControlJson;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the lines a worker writes on its channel (docs/protocol.md, version {@link #VERSION}): one JSON object
 * each, {@code {"v":1,"type":"ready"}}. The lifecycle messages mean what their sd_notify counterparts mean, so
 * both end in the same {@link NotifyMessage}: {@code ready} (READY=1), {@code status} with {@code text}
 * (STATUS=), {@code stopping} (STOPPING=1), {@code heartbeat} (WATCHDOG=1); {@code hello} is accepted and
 * ignored. Anything else is malformed: the caller logs it and carries on. The JSON is {@link ControlJson}'s: a line
 * is read as a map of plain values.
 */
public final class WorkerProtocol {
    public static final int VERSION = 1;
    /** The longest channel line read; a longer one is skipped whole. */
    public static final int MAX_LINE = 64 * 1024;
    /** Handed to {@link #read} in place of a line that was too long. */
    public static final String TOO_LONG = "\u0000too-long";

    private WorkerProtocol() {
    }

    /** What a channel line asks of the master. */
    public sealed interface Message {
    }

    /** ready, status, heartbeat, stopping (and hello): what sd_notify can say too. */
    public record Lifecycle(NotifyMessage signal) implements Message {
    }

    /** A delegated request, answered on the channel with the same id. */
    public record Ask(String id, String kind, String payload) implements Message {
    }

    /** A message for the application's listeners. */
    public record Note(String payload) implements Message {
    }

    /** Connections and requests served so far. */
    public record Counters(long connections, long requests) implements Message {
    }

    /** The worker's overload state changed (herd-worker's {@code overloaded()}: its lag above the threshold). */
    public record Overload(boolean overloaded) implements Message {
    }

    /** @throws IllegalArgumentException naming what is wrong with the line */
    public static Message read(String line) {
        Map<?, ?> message = object(line);
        return switch ((String) message.get("type")) {
            case "ask" -> new Ask(text(message, "id", true), text(message, "kind", true), text(message, "payload", false));
            case "message" -> new Note(text(message, "payload", true));
            case "counters" -> new Counters(count(message, "connections"), count(message, "requests"));
            case "overload" -> new Overload(flag(message, "overloaded"));
            default -> new Lifecycle(parse(message));
        };
    }

    /** A string field (a number is taken as its text); absent or null is "", or an error when required. */
    private static String text(Map<?, ?> message, String field, boolean required) {
        Object value = message.get(field);
        if (value == null) {
            if (required) {
                throw new IllegalArgumentException(message.get("type") + " needs a \"" + field + "\" string");
            }
            return "";
        }
        if (!(value instanceof String) && !(value instanceof Number)) {
            throw new IllegalArgumentException("\"" + field + "\" must be a string");
        }
        return String.valueOf(value);
    }

    private static boolean flag(Map<?, ?> message, String field) {
        Object value = message.get(field);
        if (value instanceof Boolean b) {
            return b;
        }
        if ("true".equals(value) || "false".equals(value)) {
            return Boolean.parseBoolean((String) value);
        }
        throw new IllegalArgumentException("\"" + field + "\" must be true or false");
    }

    private static long count(Map<?, ?> message, String field) {
        String value = text(message, field, true);
        try {
            long n = Long.parseLong(value);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("\"" + field + "\" must be a count, not '" + clip(value) + "'");
    }

    /** A lifecycle line (and only that) as a notify message: @throws IllegalArgumentException otherwise */
    public static NotifyMessage parse(String line) {
        return parse(object(line));
    }

    /** The line as a JSON object with a "type" string and, if it has one, a version this master speaks. */
    private static Map<?, ?> object(String line) {
        if (TOO_LONG.equals(line)) {
            throw new IllegalArgumentException("line longer than " + MAX_LINE + " characters, skipped");
        }
        Object parsed;
        try {
            parsed = ControlJson.parse(line);
        } catch (ControlJson.Malformed e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> message)) {
            throw new IllegalArgumentException("not a JSON object");
        }
        if (!(message.get("type") instanceof String)) {
            throw new IllegalArgumentException("no \"type\" string");
        }
        if (message.containsKey("v") && !spoken(message.get("v"))) {
            throw new IllegalArgumentException("protocol version " + ControlJson.write(message.get("v"))
                    + " is newer than this master's (" + VERSION + ")");
        }
        return message;
    }

    /**
     * Whether {@code v} is a version up to {@link #VERSION}: a number within an int's range, a fraction counting as its
     * whole part (1.9 as 1), as databind's tree model read it before.
     */
    private static boolean spoken(Object version) {
        return switch (version) {
            case Integer v -> v <= VERSION;
            case Double v -> v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE && v.intValue() <= VERSION;
            case null, default -> false;
        };
    }

    private static NotifyMessage parse(Map<?, ?> message) {
        String type = (String) message.get("type");
        Map<String, String> values = new LinkedHashMap<>();
        switch (type) {
            case "hello" -> { }
            case "ready" -> values.put("READY", "1");
            case "stopping" -> values.put("STOPPING", "1");
            case "heartbeat" -> values.put("WATCHDOG", "1");
            case "status" -> {
                if (!(message.get("text") instanceof String text)) {
                    throw new IllegalArgumentException("status needs a \"text\" string");
                }
                values.put("STATUS", text);
            }
            default -> throw new IllegalArgumentException("unknown type '" + clip(type) + "'");
        }
        return new NotifyMessage(Map.copyOf(values));
    }

    /** A line for the worker: {@code {"v":1,"type":TYPE,...fields}}. */
    public static String line(String type, String... fields) {
        Map<String, Object> line = start(type);
        for (int i = 0; i + 1 < fields.length; i += 2) {
            line.put(fields[i], fields[i + 1]);
        }
        return ControlJson.write(line);
    }

    public static String answer(String id, boolean ok, String payloadOrError) {
        Map<String, Object> line = start("answer");
        line.put("id", id);
        line.put("ok", ok);
        line.put(ok ? "payload" : "error", payloadOrError);
        return ControlJson.write(line);
    }

    private static Map<String, Object> start(String type) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("v", VERSION);
        line.put("type", type);
        return line;
    }

    private static String clip(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
