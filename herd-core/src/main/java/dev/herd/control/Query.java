package dev.herd.control;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A request URI's query ({@code ?arg=a&arg=b&follow=true}), decoded; the JDK's server has no parser of its own. A
 * parameter with a malformed %-escape is left out (a command missing it says so).
 */
record Query(Map<String, List<String>> params) {
    static Query parse(String rawQuery) {
        Map<String, List<String>> params = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return new Query(params);
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            try {
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                params.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            } catch (IllegalArgumentException e) {
                // a malformed %-escape: ignored
            }
        }
        return new Query(params);
    }

    /** The first value of a parameter, or null. */
    String first(String name) {
        List<String> values = params.get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    /** Every value of a parameter, in order. */
    List<String> all(String name) {
        return params.getOrDefault(name, List.of());
    }
}
