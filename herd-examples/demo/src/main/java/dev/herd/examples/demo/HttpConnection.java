package dev.herd.examples.demo;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One client connection, served on its own virtual thread: HTTP/1.1 keep-alive, one request at a time.
 *
 * <p>The connection is IDLE while waiting for the first byte of a request and BUSY from that byte
 * until its response is written. The drain closes only IDLE connections; the switch between the two
 * is a compare-and-set, so a request is either answered or its connection was closed before it was
 * read - never cut off halfway.
 */
final class HttpConnection implements Runnable {

    private enum State { IDLE, BUSY, CLOSED }

    /** After an error response, how long to read and discard what the client still sends. */
    private static final int LINGER_MILLIS = 500;
    private static final int LINGER_MAX_BYTES = 256 * 1024;

    private final SocketChannel channel;
    private final DemoHandler handler;
    private final DrainCoordinator coordinator;
    private final int idleTimeoutMillis;
    private final AtomicReference<State> state = new AtomicReference<>(State.IDLE);
    /** When this connection last became idle (accepted, or its last answer written). */
    private volatile long idleSinceNanos = System.nanoTime();

    HttpConnection(SocketChannel channel, DemoHandler handler, DrainCoordinator coordinator, int idleTimeoutMillis) {
        this.channel = channel;
        this.handler = handler;
        this.coordinator = coordinator;
        this.idleTimeoutMillis = idleTimeoutMillis;
    }

    @Override
    public void run() {
        try {
            Socket socket = channel.socket();
            socket.setTcpNoDelay(true);
            // every read waits at most this long: closes idle keep-alive connections and stalled clients
            socket.setSoTimeout(idleTimeoutMillis);
            RequestReader reader = new RequestReader(socket.getInputStream());
            while (reader.awaitData() && state.compareAndSet(State.IDLE, State.BUSY)) {
                coordinator.requestStarted();
                boolean keepOpen = false;
                try {
                    keepOpen = serveOne(reader);
                } finally {
                    // back to IDLE before the request counts as finished, so the drain never sees
                    // "nothing in flight" while this connection is still marked BUSY
                    if (keepOpen) {
                        idleSinceNanos = System.nanoTime();
                        state.compareAndSet(State.BUSY, State.IDLE);
                    }
                    coordinator.requestFinished();
                }
                if (!keepOpen) {
                    break;
                }
            }
        } catch (SocketTimeoutException e) {
            // idle (or stalled) for the idle timeout: just close
        } catch (IOException e) {
            // client went away, or the drain closed this idle connection: nothing to report
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            close();
            coordinator.unregister(this);
        }
    }

    /** @return true to keep the connection open for another request */
    private boolean serveOne(RequestReader reader) throws IOException, InterruptedException {
        HttpRequest request;
        try {
            request = reader.readRequest();
        } catch (BadRequestException e) {
            sendErrorAndLinger(Response.text(400, "Bad Request", "bad request: " + e.getMessage() + "\n"));
            return false;
        }
        if (request.transferEncoding() != null) {
            // without chunked decoding we cannot find where the body ends, so we cannot keep the connection
            sendErrorAndLinger(Response.text(501, "Not Implemented", "Transfer-Encoding is not supported\n"));
            return false;
        }
        if (request.contentLength() > 0) {
            reader.discard(request.contentLength());
        }
        Response response = handler.handle(request);
        // decided after handling: a drain that began during a slow request must still close the connection
        boolean close = !request.clientKeepsAlive() || coordinator.draining();
        write(response.encode(request.isHead(), close, request.minorVersion() == 0));
        coordinator.requestServed();
        if (close) {
            channel.shutdownOutput(); // FIN right after the response, before the thread winds down
        }
        return !close;
    }

    /**
     * Sends an error response and closes. The client may still be sending (say, the rest of a huge
     * head); closing with unread data makes the kernel send RST, which can destroy our response
     * before the client reads it, so first read and discard for a moment (a "lingering close").
     */
    private void sendErrorAndLinger(Response response) throws IOException {
        write(response.encode(false, true, false));
        coordinator.requestServed();
        channel.shutdownOutput();
        Socket socket = channel.socket();
        socket.setSoTimeout(LINGER_MILLIS);
        InputStream in = socket.getInputStream();
        byte[] sink = new byte[8192];
        int total = 0;
        try {
            int n;
            while (total < LINGER_MAX_BYTES && (n = in.read(sink)) >= 0) {
                total += n;
            }
        } catch (SocketTimeoutException e) {
            // the client did not close; we close anyway
        }
    }

    private void write(byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /**
     * Closes the connection if it is between requests. A request that has already arrived but that this
     * connection's thread has not read yet (it may be starved of CPU: a draining worker runs at the lowest
     * priority) makes it busy, not idle: closing with unread data would send the client a reset instead of
     * an answer. @return true if it was closed here
     */
    boolean closeIfIdle(Duration minIdle) {
        // A client sends its next keep-alive request right after the previous answer: a connection only just
        // answered is about to be busy again, and closing it would race that request. Give it time to arrive.
        if (System.nanoTime() - idleSinceNanos < minIdle.toNanos() || requestWaiting()) {
            return false;
        }
        if (state.compareAndSet(State.IDLE, State.CLOSED)) {
            close();
            return true;
        }
        return false;
    }

    private boolean requestWaiting() {
        try {
            return channel.socket().getInputStream().available() > 0;
        } catch (IOException e) {
            return false; // closed or broken: nothing to answer
        }
    }

    void close() {
        state.set(State.CLOSED);
        try {
            channel.close();
        } catch (IOException e) {
            // nothing useful to do
        }
    }
}
