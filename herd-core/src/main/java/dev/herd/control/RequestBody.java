package dev.herd.control;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * Request bodies: a command's JSON object, at most {@link #MAX_BYTES} (413 beyond), and everywhere else a body
 * read away unread ({@link #discard()}): one nobody reads would keep the request unfinished, and the request
 * timeout would cut a long command (a reload) or a stream.
 */
final class RequestBody {
    /**
     * Largest request body read; a command's arguments and an upgrade's command line and environment fit easily,
     * and a flood of large bodies cannot make the master's heap grow.
     */
    static final int MAX_BYTES = 64 * 1024;
    /** Most a refused body is read for, so that the client, still sending, gets the 413 rather than a reset. */
    static final long MAX_DISCARD_BYTES = 64L << 20;

    private RequestBody() {
    }

    /** A body that is not what was asked for: its status (400, 413) and message. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** The body as a JSON object; an empty body is an empty object. */
    static Map<String, Object> jsonObject(HttpExchange exchange) throws IOException, Refused {
        byte[] bytes = read(exchange);
        Object value;
        try {
            value = ControlJson.parse(bytes);
        } catch (ControlJson.Malformed e) {
            throw new Refused(400, "body is not valid JSON: " + e.getMessage());
        }
        if (value == ControlJson.NOTHING) {
            return new java.util.LinkedHashMap<>();
        }
        if (!(value instanceof Map<?, ?>)) {
            throw new Refused(400, "body must be a JSON object like {\"args\":[\"slot\",\"2\"]}");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> object = (Map<String, Object>) value;
        return object;
    }

    private static byte[] read(HttpExchange exchange) throws IOException, Refused {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        try (InputStream in = exchange.getRequestBody()) {
            if (declared != null && declaredTooLarge(declared)) {
                discard(in);
                throw new Refused(413, "body is larger than " + MAX_BYTES + " bytes");
            }
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                discard(in);
                throw new Refused(413, "body is larger than " + MAX_BYTES + " bytes");
            }
            return bytes;
        }
    }

    /** A filter that reads the body away (up to a bound) before the handler, unless the method is {@code keepFor}. */
    static Filter discard(String keepFor) {
        return new Filter() {
            @Override
            public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
                if (!exchange.getRequestMethod().equals(keepFor)) {
                    discard(exchange.getRequestBody());
                }
                chain.doFilter(exchange);
            }

            @Override
            public String description() {
                return "herd: read an unused body away";
            }
        };
    }

    /** Reads a refused body away through one small buffer (no heap in proportion to it), up to a bound. */
    static void discard(InputStream in) throws IOException {
        byte[] sink = new byte[8192];
        long total = 0;
        int n;
        while (total < MAX_DISCARD_BYTES && (n = in.read(sink)) > 0) {
            total += n;
        }
    }

    private static boolean declaredTooLarge(String contentLength) {
        try {
            return Long.parseLong(contentLength.trim()) > MAX_BYTES;
        } catch (NumberFormatException e) {
            return false; // the server itself rejects a malformed length
        }
    }
}
