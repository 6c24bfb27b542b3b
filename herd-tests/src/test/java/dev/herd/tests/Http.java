package dev.herd.tests;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A minimal HTTP/1.1 client over a plain socket, so tests control exactly when connections open, are reused
 * and close (a library client would pool and retry behind our back).
 */
final class Http implements AutoCloseable {
    private static final Pattern PID = Pattern.compile("\"pid\":(\\d+)");
    private static final Pattern SLOT = Pattern.compile("\"slot\":(\\d+)");
    private static final Pattern GENERATION = Pattern.compile("\"generation\":(\\d+)");

    record Response(int status, Map<String, String> headers, String body) {
        long pid() {
            return Long.parseLong(find(PID));
        }

        int slot() {
            return Integer.parseInt(find(SLOT));
        }

        int generation() {
            return Integer.parseInt(find(GENERATION));
        }

        boolean closes() {
            return "close".equalsIgnoreCase(headers.get("connection"));
        }

        private String find(Pattern pattern) {
            Matcher matcher = pattern.matcher(body);
            if (!matcher.find()) {
                throw new IllegalStateException("no " + pattern + " in " + body);
            }
            return matcher.group(1);
        }
    }

    /** The response ended early: the connection closed or reset after some of it had arrived. */
    static final class Truncated extends IOException {
        Truncated(String message) {
            super(message);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    Http(int port) throws IOException {
        this("127.0.0.1", port);
    }

    Http(String host, int port) throws IOException {
        this(host, port, null);
    }

    /** Connects from a chosen local address (e.g. 127.0.0.17: every 127.0.0.0/8 address is this machine's). */
    Http(String host, int port, String localAddress) throws IOException {
        socket = new Socket();
        if (localAddress != null) {
            socket.bind(new InetSocketAddress(localAddress, 0));
        }
        socket.connect(new InetSocketAddress(host, port), 5000);
        socket.setSoTimeout(30_000);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Waits until the server closes the connection (bounded by the read timeout). */
    void awaitClose() throws IOException {
        while (in.read() >= 0) {
            // discard anything after the response
        }
    }

    int localPort() {
        return socket.getLocalPort();
    }

    /** A TCP port free on this machine now (the kernel's pick for a bind to port 0), for a server started by hand. */
    static int freePort() throws IOException {
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
            return probe.getLocalPort();
        }
    }

    /** One GET with Connection: close on a new connection. */
    static Response get(int port, String path) throws IOException {
        try (Http http = new Http(port)) {
            return http.request(path, false);
        }
    }

    /** Sends a request on this connection and reads the whole response. */
    Response request(String path, boolean keepAlive) throws IOException {
        send(path, keepAlive);
        return read();
    }

    void send(String path, boolean keepAlive) throws IOException {
        String request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + (keepAlive ? "" : "Connection: close\r\n") + "\r\n";
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /**
     * Reads one response. Returns null when the connection was closed before any byte of it arrived (the
     * server closed an idle keep-alive connection); throws {@link Truncated} when it ended part-way.
     */
    Response read() throws IOException {
        String statusLine = readLine(true);
        if (statusLine == null) {
            return null;
        }
        String[] parts = statusLine.split(" ", 3);
        int status = Integer.parseInt(parts[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        String line;
        while (!(line = readLine(false)).isEmpty()) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        if (body.length != length) {
            throw new Truncated("body ended after " + body.length + " of " + length + " bytes");
        }
        return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    private String readLine(boolean first) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b;
            try {
                b = in.read();
            } catch (java.net.SocketException e) {
                if (first && line.size() == 0) {
                    return null; // reset before anything arrived: same as an idle close
                }
                throw new Truncated("connection reset mid-response: " + e.getMessage());
            }
            if (b < 0) {
                if (first && line.size() == 0) {
                    return null;
                }
                throw new Truncated("connection closed mid-response");
            }
            if (b == '\n') {
                String text = line.toString(StandardCharsets.US_ASCII);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            line.write(b);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
