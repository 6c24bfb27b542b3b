package dev.herd.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * One command as a caller sent it, whatever the transport: its name, its words ({@code restart slot 2} has args
 * {@code [slot, 2]}) and the request object itself for commands that take structured input (upgrade's argv/env).
 */
public record CommandRequest(String name, List<String> args, ObjectNode body) {
    public CommandRequest {
        args = List.copyOf(args);
        body = body == null ? JsonNodeFactory.instance.objectNode() : body;
    }

    public static CommandRequest of(String name, String... args) {
        return new CommandRequest(name, List.of(args), null);
    }

    /** The i-th word, or null when there are fewer. */
    public String arg(int i) {
        return i < args.size() ? args.get(i) : null;
    }

    JsonNode field(String name) {
        return body.get(name);
    }
}
