package dev.herd.wire;


import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the lines a worker writes on its channel (docs/protocol.md, version {@link #VERSION}): one JSON object
 * each, {@code {"v":1,"type":"ready"}}. The lifecycle messages mean what their sd_notify counterparts mean, so
 * both end in the same {@link NotifyMessage}: {@code ready} (READY=1), {@code status} with {@code text}
 * (STATUS=), {@code stopping} (STOPPING=1), {@code heartbeat} (WATCHDOG=1); {@code hello} is accepted and
 * ignored. Anything else is malformed: the caller logs it and carries on.
 */
public final class WorkerProtocol {
    public static final int VERSION = 1;
    /** The longest channel line read; a longer one is skipped whole. */
    public static final int MAX_LINE = 64 * 1024;
    /** Handed to {@link #read} in place of a line that was too long. */
    public static final String TOO_LONG = "\u0000too-long";
    private static final ObjectMapper JSON = new ObjectMapper();

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

    /** @throws IllegalArgumentException naming what is wrong with the line */
    public static Message read(String line) {
        JsonNode message = object(line);
        String type = message.get("type").asText();
        return switch (type) {
            case "ask" -> new Ask(text(message, "id", true), text(message, "kind", true), text(message, "payload", false));
            case "message" -> new Note(text(message, "payload", true));
            case "counters" -> new Counters(count(message, "connections"), count(message, "requests"));
            default -> new Lifecycle(parse(message));
        };
    }

    private static String text(JsonNode message, String field, boolean required) {
        JsonNode value = message.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw new IllegalArgumentException(message.get("type").asText() + " needs a \"" + field + "\" string");
            }
            return "";
        }
        if (!value.isTextual() && !value.isNumber()) {
            throw new IllegalArgumentException("\"" + field + "\" must be a string");
        }
        return value.asText();
    }

    private static long count(JsonNode message, String field) {
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

    private static JsonNode object(String line) {
        if (TOO_LONG.equals(line)) {
            throw new IllegalArgumentException("line longer than " + MAX_LINE + " characters, skipped");
        }
        JsonNode message;
        try {
            message = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        if (message == null || !message.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        JsonNode type = message.get("type");
        if (type == null || !type.isTextual()) {
            throw new IllegalArgumentException("no \"type\" string");
        }
        JsonNode version = message.get("v");
        if (version != null && (!version.canConvertToInt() || version.asInt() > VERSION)) {
            throw new IllegalArgumentException("protocol version " + version + " is newer than this master's (" + VERSION + ")");
        }
        return message;
    }

    private static NotifyMessage parse(JsonNode message) {
        JsonNode type = message.get("type");
        Map<String, String> values = new LinkedHashMap<>();
        switch (type.asText()) {
            case "hello" -> { }
            case "ready" -> values.put("READY", "1");
            case "stopping" -> values.put("STOPPING", "1");
            case "heartbeat" -> values.put("WATCHDOG", "1");
            case "status" -> {
                JsonNode text = message.get("text");
                if (text == null || !text.isTextual()) {
                    throw new IllegalArgumentException("status needs a \"text\" string");
                }
                values.put("STATUS", text.asText());
            }
            default -> throw new IllegalArgumentException("unknown type '" + clip(type.asText()) + "'");
        }
        return new NotifyMessage(Map.copyOf(values));
    }

    /** A line for the worker: {@code {"v":1,"type":TYPE,...fields}}. */
    public static String line(String type, String... fields) {
        com.fasterxml.jackson.databind.node.ObjectNode node = JSON.createObjectNode().put("v", VERSION).put("type", type);
        for (int i = 0; i + 1 < fields.length; i += 2) {
            node.put(fields[i], fields[i + 1]);
        }
        return node.toString();
    }

    public static String answer(String id, boolean ok, String payloadOrError) {
        com.fasterxml.jackson.databind.node.ObjectNode node = JSON.createObjectNode().put("v", VERSION)
                .put("type", "answer").put("id", id).put("ok", ok);
        node.put(ok ? "payload" : "error", payloadOrError);
        return node.toString();
    }

    private static String clip(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
