package dev.herd.tests;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** One structured master log line ({@code ... event=worker.ready slot=0 pid=12 ...}), parsed back. */
record LogEvent(String name, Map<String, String> fields, String line) {

    static Optional<LogEvent> parse(String line) {
        int start = line.indexOf(" event=");
        if (start < 0) {
            return Optional.empty();
        }
        Map<String, String> fields = new LinkedHashMap<>();
        String rest = line.substring(start + 1);
        int i = 0;
        while (i < rest.length()) {
            int eq = rest.indexOf('=', i);
            if (eq < 0) {
                break;
            }
            String key = rest.substring(i, eq).trim();
            StringBuilder value = new StringBuilder();
            int j = eq + 1;
            if (j < rest.length() && rest.charAt(j) == '"') {
                j++;
                while (j < rest.length() && rest.charAt(j) != '"') {
                    if (rest.charAt(j) == '\\' && j + 1 < rest.length()) {
                        j++;
                    }
                    value.append(rest.charAt(j++));
                }
                j++;
            } else {
                while (j < rest.length() && rest.charAt(j) != ' ') {
                    value.append(rest.charAt(j++));
                }
            }
            fields.put(key, value.toString());
            i = j + 1;
        }
        return Optional.of(new LogEvent(fields.get("event"), fields, line));
    }

    /** When the master logged it: the line's leading timestamp. */
    java.time.Instant at() {
        return java.time.Instant.parse(line.substring(0, line.indexOf(' ')));
    }

    String get(String key) {
        return fields.get(key);
    }

    int intField(String key) {
        return Integer.parseInt(fields.get(key));
    }

    long pid() {
        return Long.parseLong(fields.get("pid"));
    }

    boolean is(String event, String key, String value) {
        return name.equals(event) && value.equals(fields.get(key));
    }
}
