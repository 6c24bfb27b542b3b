package dev.herd.examples.demo;

/**
 * The parts of a request head the demo acts on.
 *
 * @param minorVersion     0 for HTTP/1.0, 1 for HTTP/1.1 (and later 1.x)
 * @param contentLength    -1 when absent
 * @param transferEncoding null when absent
 * @param connectionClose  a {@code Connection: close} token was sent
 * @param connectionKeepAlive a {@code Connection: keep-alive} token was sent (matters for HTTP/1.0)
 */
record HttpRequest(String method, String target, int minorVersion, long contentLength,
                   String transferEncoding, boolean connectionClose, boolean connectionKeepAlive) {

    boolean isHead() {
        return method.equals("HEAD");
    }

    /** Whether the client allows the connection to stay open after the response. */
    boolean clientKeepsAlive() {
        if (connectionClose) {
            return false;
        }
        return minorVersion >= 1 || connectionKeepAlive;
    }

    /** The path without query; absolute-form targets ({@code http://host/p}) are reduced to {@code /p}. */
    String path() {
        String t = target;
        int scheme = t.indexOf("://");
        if (!t.startsWith("/") && scheme > 0) {
            int slash = t.indexOf('/', scheme + 3);
            t = slash < 0 ? "/" : t.substring(slash);
        }
        int q = t.indexOf('?');
        return q < 0 ? t : t.substring(0, q);
    }

    /** The first value of a query parameter, or null. No percent-decoding: the demo only takes numbers. */
    String queryParameter(String name) {
        int q = target.indexOf('?');
        if (q < 0) {
            return null;
        }
        for (String pair : target.substring(q + 1).split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            if (key.equals(name)) {
                return eq < 0 ? "" : pair.substring(eq + 1);
            }
        }
        return null;
    }
}
