package dev.herd.tests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Reads the kernel's TCP tables for loopback sockets of one port (/proc/net/tcp and tcp6). */
final class ProcNet {
    private static final String LISTEN = "0A";

    private ProcNet() {
    }

    /** Connections waiting in the listening socket's accept queue (rx_queue of the LISTEN row). */
    static int acceptQueue(int port) {
        return rows(port).stream().filter(r -> r[3].equals(LISTEN))
                .mapToInt(r -> Integer.parseInt(r[4].split(":")[1], 16)).sum();
    }

    /** The inodes of the sockets listening on the port (one per SO_REUSEPORT socket). */
    static List<Long> listeningInodes(int port) {
        return rows(port).stream().filter(r -> r[3].equals(LISTEN)).map(r -> Long.parseLong(r[9])).toList();
    }

    private static List<String[]> rows(int port) {
        String hex = String.format(":%04X", port);
        return allRows().stream().filter(r -> r[1].endsWith(hex)).toList();
    }

    private static List<String[]> allRows() {
        return java.util.stream.Stream.of("/proc/net/tcp", "/proc/net/tcp6")
                    .flatMap(file -> {
                        try {
                            return Files.readAllLines(Path.of(file)).stream().skip(1);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    })
                    .map(line -> line.trim().split("\\s+")).toList();
    }
}
