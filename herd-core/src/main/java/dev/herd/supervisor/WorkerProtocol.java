package dev.herd.supervisor;

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
final class WorkerProtocol {
    static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private WorkerProtocol() {
    }

    /** @throws IllegalArgumentException naming what is wrong with the line */
    static NotifyMessage parse(String line) {
        if (WorkerChannel.TOO_LONG.equals(line)) {
            throw new IllegalArgumentException("line longer than " + WorkerChannel.MAX_LINE + " characters, skipped");
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

    private static String clip(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
