package dev.herd.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.slf4j.event.Level;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.regex.Pattern;

/**
 * A master log line as one JSON object ({@code --log-format json}), for log collectors that want fields rather than
 * text: {@code time}, {@code level}, then the message's {@code key=value} pairs as fields (whole numbers as numbers),
 * e.g. {@code {"time":"...","level":"INFO","event":"worker.ready","slot":1,"pid":4242,...}}. A worker line
 * ({@code --log-to stdout}) is {@code {"time":...,"level":"INFO","slot":0,"line":"..."}}; a message that is not
 * logfmt is kept whole as {@code message}; a stack trace is {@code trace}.
 */
final class JsonLine {
    private static final JsonFactory JSON = new JsonFactory();
    private static final Pattern WHOLE_NUMBER = Pattern.compile("-?(0|[1-9][0-9]{0,17})");
    private static final Pattern KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");
    private static final String NEWLINE = System.lineSeparator();

    private JsonLine() {
    }

    static String of(String time, Level level, String logger, String message, Throwable throwable) {
        StringWriter out = new StringWriter(128);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("time", time);
            g.writeStringField("level", level.name());
            if (logger.equals(dev.herd.runtime.ClusterRunner.WORKER_LINES) && message.startsWith("slot=")) {
                int bar = message.indexOf(" | ");
                if (bar > 0) {
                    number(g, "slot", message.substring("slot=".length(), bar));
                    g.writeStringField("line", message.substring(bar + 3));
                } else {
                    g.writeStringField("message", message);
                }
            } else if (!fields(g, message)) {
                g.writeStringField("message", message);
            }
            if (throwable != null) {
                StringWriter trace = new StringWriter();
                try (PrintWriter w = new PrintWriter(trace)) {
                    throwable.printStackTrace(w);
                }
                g.writeStringField("trace", trace.toString());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.append(NEWLINE).toString();
    }

    /**
     * Writes the message's logfmt pairs as fields; false (having written nothing) when it is not logfmt. A quoted value
     * ends at the quote before a space or the end, so that the quotes of a message put raw into one survive.
     */
    private static boolean fields(JsonGenerator g, String message) throws IOException {
        java.util.List<String[]> pairs = new java.util.ArrayList<>();
        int i = 0;
        int n = message.length();
        while (i < n) {
            int eq = message.indexOf('=', i);
            int space = message.indexOf(' ', i);
            if (eq < 0 || (space >= 0 && space < eq) || !KEY.matcher(message.substring(i, eq)).matches()) {
                return false;
            }
            String key = message.substring(i, eq);
            int start = eq + 1;
            String value;
            if (start < n && message.charAt(start) == '"') {
                int end = start + 1;
                while (end < n && !(message.charAt(end) == '"' && message.charAt(end - 1) != '\\'
                        && (end + 1 == n || message.charAt(end + 1) == ' '))) {
                    end++;
                }
                if (end >= n) {
                    return false;
                }
                value = message.substring(start + 1, end).replace("\\\"", "\"").replace("\\n", "\n");
                i = end + 1;
            } else {
                int end = message.indexOf(' ', start);
                end = end < 0 ? n : end;
                value = message.substring(start, end);
                i = end;
            }
            pairs.add(new String[] {key, value});
            while (i < n && message.charAt(i) == ' ') {
                i++;
            }
        }
        if (pairs.isEmpty()) {
            return false;
        }
        for (String[] pair : pairs) {
            number(g, pair[0], pair[1]);
        }
        return true;
    }

    /** A whole number as a JSON number, anything else as a string. */
    private static void number(JsonGenerator g, String key, String value) throws IOException {
        if (WHOLE_NUMBER.matcher(value).matches()) {
            g.writeNumberField(key, Long.parseLong(value));
        } else {
            g.writeStringField(key, value);
        }
    }
}
