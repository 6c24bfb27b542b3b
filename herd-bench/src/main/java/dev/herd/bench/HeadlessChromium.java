package dev.herd.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's chromium, headless, with one page driven over the DevTools protocol (its WebSocket, through the JDK's
 * client): enough to open the dashboard signed in and keep it open, with no driver or library to install.
 */
final class HeadlessChromium implements AutoCloseable {
    private static final Pattern SOCKET = Pattern.compile("\"webSocketDebuggerUrl\"\\s*:\\s*\"(ws://[^\"]+/page/[^\"]+)\"");
    private final Process process;
    private final WebSocket page;
    /** Every message the page's socket brought, in order: replies and events. */
    private final LinkedBlockingQueue<String> messages;
    private int nextId = 1;

    private HeadlessChromium(Process process, WebSocket page, LinkedBlockingQueue<String> messages) {
        this.process = process;
        this.page = page;
        this.messages = messages;
    }

    static HeadlessChromium start(Path profile) throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Process process = new ProcessBuilder("/usr/bin/chromium", "--headless=new", "--no-sandbox",
                "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--remote-debugging-port=" + port,
                "--user-data-dir=" + profile, "about:blank").redirectErrorStream(true)
                .redirectOutput(profile.resolveSibling("chromium.log").toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        String socket = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (socket == null && System.nanoTime() < deadline) {
            try {
                String list = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
                Matcher m = SOCKET.matcher(list);
                socket = m.find() ? m.group(1) : null;
            } catch (IOException e) {
                // not listening yet
            }
            if (socket == null) {
                Thread.sleep(100);
            }
        }
        if (socket == null) {
            process.destroyForcibly();
            throw new IllegalStateException("chromium's DevTools port " + port + " did not answer within 30 s");
        }
        LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
        WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(socket), new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                text.append(data);
                if (last) {
                    queue.add(text.toString());
                    text.setLength(0);
                }
                webSocket.request(1);
                return null;
            }
        }).join();
        return new HeadlessChromium(process, ws, queue);
    }

    /** Sends one DevTools command and returns its reply (the message with its id). */
    String call(String method, String params) throws InterruptedException {
        int id = nextId++;
        page.sendText("{\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + params + "}", true).join();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            String reply = messages.poll(200, TimeUnit.MILLISECONDS);
            if (reply != null && reply.startsWith("{\"id\":" + id + ",")) {
                return reply;
            }
        }
        throw new IllegalStateException(method + ": no reply within 15 s");
    }

    /** Evaluates a script in the page; its value as the reply's JSON text. */
    String evaluate(String expression) throws InterruptedException {
        return call("Runtime.evaluate", "{\"expression\":" + json(expression) + ",\"returnByValue\":true}");
    }

    void navigate(String url) throws InterruptedException {
        call("Page.navigate", "{\"url\":" + json(url) + "}");
    }

    /** The page at this size (CSS pixels, scale 1) as a PNG. */
    void screenshot(Path png, int width, int height) throws Exception {
        call("Emulation.setDeviceMetricsOverride", "{\"width\":" + width + ",\"height\":" + height
                + ",\"deviceScaleFactor\":1,\"mobile\":false}");
        String reply = call("Page.captureScreenshot", "{\"format\":\"png\"}");
        Matcher m = Pattern.compile("\"data\"\\s*:\\s*\"([A-Za-z0-9+/=]+)\"").matcher(reply);
        if (!m.find()) {
            throw new IllegalStateException("Page.captureScreenshot answered no image: "
                    + reply.substring(0, Math.min(200, reply.length())));
        }
        java.nio.file.Files.write(png, java.util.Base64.getDecoder().decode(m.group(1)));
    }

    static String json(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        page.abort();
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
