package dev.herd.runtime;

import dev.herd.control.ControlJson;
import dev.herd.os.UnixStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One hand-over connection ({@link Handover}): JSON lines each way over {@code takeover.sock}, and the listening
 * sockets that travel with the running master's answer (SCM_RIGHTS). Every read has a time and a length limit.
 */
final class HandoverConnection implements AutoCloseable {
    private final UnixStream stream;
    private final ByteArrayOutputStream buffered = new ByteArrayOutputStream();
    private final List<Integer> fds = new ArrayList<>();

    HandoverConnection(UnixStream stream) {
        this.stream = stream;
    }

    /**
     * The next line as a JSON object, within {@code limit}; throws on end of stream, a line longer than
     * {@code maxLine} bytes, one that is not a JSON object, or when none came in time (the caller then closes).
     */
    @SuppressWarnings("unchecked")
    Map<String, Object> read(Duration limit, int maxLine, String waitingFor) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            byte[] bytes = buffered.toByteArray();
            int end = indexOf(bytes, (byte) '\n');
            if (end > maxLine || end < 0 && bytes.length > maxLine) {
                throw new IOException("a hand-over line longer than " + maxLine + " bytes");
            }
            if (end >= 0) {
                buffered.reset();
                buffered.write(bytes, end + 1, bytes.length - end - 1);
                Object value = ControlJson.parse(Arrays.copyOf(bytes, end));
                if (!(value instanceof Map<?, ?> map)) {
                    throw new IOException("a hand-over line that is not a JSON object");
                }
                return (Map<String, Object>) map;
            }
            long left = deadline - System.nanoTime();
            UnixStream.Received received = stream.receive(maxLine + 1, Duration.ofNanos(Math.max(0, left)))
                    .orElseThrow(() -> new IOException("no " + waitingFor + " within " + limit.toSeconds() + " s"));
            for (int fd : received.fds()) {
                fds.add(fd);
            }
            if (received.endOfStream()) {
                throw new IOException("the other master closed the connection");
            }
            buffered.write(received.data());
        }
    }

    private static int indexOf(byte[] bytes, byte wanted) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == wanted) {
                return i;
            }
        }
        return -1;
    }

    /** Writes one message as a line; {@code fds} (this process keeps its own) travel with it. */
    void write(Object message, int... fds) throws IOException {
        stream.send(Handover.line(message), fds);
    }

    /** The descriptors received so far, which the caller owns from now on. */
    int[] takeFds() {
        int[] taken = fds.stream().mapToInt(Integer::intValue).toArray();
        fds.clear();
        return taken;
    }

    UnixStream.Peer peer() {
        return stream.peer();
    }

    /** Closes the connection and any received descriptor nobody took. */
    @Override
    public void close() {
        stream.close();
        for (int fd : takeFds()) {
            UnixStream.closeDescriptor(fd);
        }
    }
}
