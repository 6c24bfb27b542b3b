package dev.herd.examples.demo;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** A complete response; always sent with Content-Length, so the client knows where it ends. */
record Response(int status, String reason, String contentType, byte[] body, String extraHeaders) {

    static final String JSON = "application/json";
    static final String TEXT = "text/plain; charset=utf-8";

    static Response ok(String contentType, byte[] body) {
        return new Response(200, "OK", contentType, body, "");
    }

    static Response text(int status, String reason, String body) {
        return new Response(status, reason, TEXT, body.getBytes(StandardCharsets.UTF_8), "");
    }

    static Response methodNotAllowed() {
        return new Response(405, "Method Not Allowed", TEXT,
                "method not allowed\n".getBytes(StandardCharsets.UTF_8), "Allow: GET, HEAD\r\n");
    }

    /**
     * @param head      answer to a HEAD request: headers only, Content-Length as for GET
     * @param close     the server closes the connection after this response
     * @param http10    the request was HTTP/1.0, where keep-alive must be announced explicitly
     */
    byte[] encode(boolean head, boolean close, boolean http10) {
        StringBuilder h = new StringBuilder(160)
                .append("HTTP/1.1 ").append(status).append(' ').append(reason).append("\r\n")
                .append("Content-Type: ").append(contentType).append("\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n")
                .append(extraHeaders);
        if (close) {
            h.append("Connection: close\r\n");
        } else if (http10) {
            h.append("Connection: keep-alive\r\n");
        }
        h.append("\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream(h.length() + body.length);
        out.writeBytes(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (!head) {
            out.writeBytes(body);
        }
        return out.toByteArray();
    }
}
