package dev.herd.logs;

import java.util.Map;

/** Renders key=value pairs as one logfmt line: values with spaces, quotes or '=' are quoted and escaped. */
public final class Logfmt {
    private Logfmt() {
    }

    public static String line(String event, Map<String, Object> fields) {
        StringBuilder out = new StringBuilder("event=").append(event);
        fields.forEach((key, value) -> out.append(' ').append(key).append('=').append(value(String.valueOf(value))));
        return out.toString();
    }

    public static String value(String raw) {
        boolean plain = !raw.isEmpty() && raw.chars().allMatch(c -> c > ' ' && c != '"' && c != '=' && c != '\\' && c < 127);
        if (plain) {
            return raw;
        }
        StringBuilder quoted = new StringBuilder("\"");
        for (char c : raw.toCharArray()) {
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                case '\t' -> quoted.append("\\t");
                default -> quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }
}
