package dev.herd.worker;

import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The worker's end of its channel to the master ({@code HERD_CHANNEL}, docs/protocol.md): JSON lines. Connected on
 * first use; every send is one whole line. When the master is gone the messages are dropped: a worker never
 * fails because its master did.
 */
final class MasterChannel {
    static final int VERSION = 1;

    private final Path path;
    private SocketChannel socket;
    private OutputStream out;
    private boolean broken;

    MasterChannel(Path path) {
        this.path = path;
    }

    /** Sends {@code {"v":1,"type":TYPE,...fields}}; fields alternate names and string values. */
    synchronized boolean send(String type, String... fields) {
        if (broken) {
            return false;
        }
        StringBuilder line = new StringBuilder("{\"v\":").append(VERSION).append(",\"type\":");
        quote(line, type);
        for (int i = 0; i + 1 < fields.length; i += 2) {
            line.append(',');
            quote(line, fields[i]);
            line.append(':');
            quote(line, fields[i + 1]);
        }
        line.append("}\n");
        try {
            if (out == null) {
                socket = SocketChannel.open(StandardProtocolFamily.UNIX);
                socket.connect(UnixDomainSocketAddress.of(path));
                out = Channels.newOutputStream(socket);
                String hello = "{\"v\":" + VERSION + ",\"type\":\"hello\",\"pid\":\"" + ProcessHandle.current().pid() + "\"}\n";
                out.write(hello.getBytes(StandardCharsets.UTF_8));
            }
            out.write(line.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            return true;
        } catch (IOException e) {
            broken = true; // the master is gone or never listened: carry on without it
            return false;
        }
    }

    /** A JSON string literal. */
    static void quote(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
