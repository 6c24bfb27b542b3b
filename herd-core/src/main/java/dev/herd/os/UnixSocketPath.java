package dev.herd.os;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** The length limit of AF_UNIX socket paths: sun_path is 108 bytes including the terminating NUL. */
public final class UnixSocketPath {
    public static final int MAX_BYTES = 107;

    private UnixSocketPath() {}

    /**
     * Returns the path's bytes (without NUL).
     *
     * @throws IllegalArgumentException when the path is longer than {@value #MAX_BYTES} bytes
     */
    public static byte[] check(Path path) {
        byte[] bytes = path.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_BYTES) {
            throw new IllegalArgumentException("Unix socket path is " + bytes.length + " bytes, the limit is "
                    + MAX_BYTES + ": " + path + " (use a shorter state directory)");
        }
        if (bytes.length == 0) {
            throw new IllegalArgumentException("Unix socket path is empty");
        }
        return bytes;
    }
}
