package dev.herd.examples.demo;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads HTTP/1.x request heads from a connection, with its own buffer so pipelined requests work.
 * The whole head (request line and headers) is limited to {@link #MAX_HEAD} bytes.
 */
final class RequestReader {

    static final int MAX_HEAD = 16 * 1024;

    private static final String TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
    private static final Pattern REQUEST_LINE = Pattern.compile("(" + TOKEN + ") (\\S+) HTTP/1\\.(\\d)");
    private static final Pattern HEADER_NAME = Pattern.compile(TOKEN);
    private static final Pattern DIGITS = Pattern.compile("\\d{1,18}");

    private final InputStream in;
    private final byte[] buf = new byte[8192];
    private int pos;
    private int limit;

    RequestReader(InputStream in) {
        this.in = in;
    }

    /**
     * Blocks until at least one byte of the next request is available.
     * Separate from {@link #readRequest()} so the connection can tell "idle" from "request in flight".
     *
     * @return false when the client closed the connection
     */
    boolean awaitData() throws IOException {
        return pos < limit || fill();
    }

    HttpRequest readRequest() throws IOException, BadRequestException {
        int[] budget = {MAX_HEAD};
        String line;
        do { // RFC 9112 2.2: ignore empty lines before the request line
            line = readLine(budget);
        } while (line.isEmpty());
        Matcher m = REQUEST_LINE.matcher(line);
        if (!m.matches()) {
            throw new BadRequestException("malformed request line");
        }
        String method = m.group(1);
        String target = m.group(2);
        int minor = Integer.parseInt(m.group(3));

        String contentLength = null;
        String transferEncoding = null;
        boolean close = false;
        boolean keepAlive = false;
        while (!(line = readLine(budget)).isEmpty()) {
            int colon = line.indexOf(':');
            if (colon <= 0 || !HEADER_NAME.matcher(line.substring(0, colon)).matches()) {
                // also rejects obsolete line folding and whitespace before the colon (RFC 9112 5.1)
                throw new BadRequestException("malformed header line");
            }
            String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).strip();
            switch (name) {
                case "content-length" -> {
                    if (contentLength != null && !contentLength.equals(value)) {
                        throw new BadRequestException("conflicting Content-Length");
                    }
                    contentLength = value;
                }
                case "transfer-encoding" -> transferEncoding = transferEncoding == null ? value : transferEncoding + ", " + value;
                case "connection" -> {
                    for (String token : value.split(",")) {
                        String t = token.strip().toLowerCase(Locale.ROOT);
                        close |= t.equals("close");
                        keepAlive |= t.equals("keep-alive");
                    }
                }
                default -> { }
            }
        }
        long length = -1;
        if (contentLength != null) {
            if (!DIGITS.matcher(contentLength).matches()) {
                throw new BadRequestException("bad Content-Length");
            }
            length = Long.parseLong(contentLength);
        }
        return new HttpRequest(method, target, minor, length, transferEncoding, close, keepAlive);
    }

    /** Reads and throws away {@code n} bytes of request body. */
    void discard(long n) throws IOException {
        while (n > 0) {
            if (pos == limit && !fill()) {
                throw new EOFException("connection closed inside a request body");
            }
            int k = (int) Math.min(n, limit - pos);
            pos += k;
            n -= k;
        }
    }

    /** A line without its CRLF (a bare LF is accepted too), decoded as ISO-8859-1. */
    private String readLine(int[] budget) throws IOException, BadRequestException {
        StringBuilder line = new StringBuilder(64);
        while (true) {
            if (pos == limit && !fill()) {
                throw new EOFException("connection closed inside a request head");
            }
            if (--budget[0] < 0) {
                throw new BadRequestException("request head larger than " + MAX_HEAD + " bytes");
            }
            int b = buf[pos++] & 0xff;
            if (b == '\n') {
                int end = line.length();
                if (end > 0 && line.charAt(end - 1) == '\r') {
                    line.setLength(end - 1);
                }
                return line.toString();
            }
            if (b == 0 || (b == '\r' && pos < limit && buf[pos] != '\n')) {
                throw new BadRequestException("control character in request head");
            }
            line.append((char) b);
        }
    }

    private boolean fill() throws IOException {
        int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
            return false;
        }
        pos = 0;
        limit = n;
        return true;
    }
}
