package dev.herd.control;

import java.util.List;
import java.util.Map;

/**
 * One command as a caller sent it, whatever the transport: its name, its words ({@code restart slot 2} has args
 * {@code [slot, 2]}) and the request object's fields for commands that take structured input (upgrade's argv/env).
 */
public record CommandRequest(String name, List<String> args, Map<String, Object> fields) {
    public CommandRequest {
        args = List.copyOf(args);
        fields = fields == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(fields));
    }

    /** The i-th word, or null when there are fewer. */
    public String arg(int i) {
        return i < args.size() ? args.get(i) : null;
    }

    Object field(String name) {
        return fields.get(name);
    }

    /** A field read as a flag the way callers send it: true, "true" or a non-zero number. */
    boolean flag(String name) {
        return switch (fields.get(name)) {
            case Boolean b -> b;
            case String s -> s.trim().equals("true");
            case Number n -> n.doubleValue() != 0;
            case null, default -> false;
        };
    }
}
