package dev.herd.tests;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

/** One connection to an echo server: send a seeded random stream, half-close, read it all back, compare digests. */
final class EchoStream {
    private EchoStream() {
    }

    /**
     * @param slowReader read in small bites with a pause after each, so the echo backs up behind the reader
     * @return "intact", or what differed
     */
    static String roundTrip(int port, int bytes, long seed, boolean slowReader) throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(60_000);
            MessageDigest sent = sha256();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    Random random = new Random(seed);
                    byte[] chunk = new byte[64 * 1024];
                    for (int left = bytes; left > 0; left -= chunk.length) {
                        random.nextBytes(chunk);
                        int n = Math.min(left, chunk.length);
                        sent.update(chunk, 0, n);
                        out.write(chunk, 0, n);
                    }
                    socket.shutdownOutput();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            MessageDigest received = sha256();
            long total = 0;
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[slowReader ? 4096 : 64 * 1024];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                received.update(buffer, 0, n);
                total += n;
                if (slowReader && (total % (256 * 1024)) < n) {
                    Thread.sleep(5); // now and then: long enough for the worker's side to fill up
                }
            }
            writer.join(60_000);
            if (total != bytes) {
                return "received " + total + " of " + bytes + " bytes";
            }
            byte[] a = sent.digest();
            byte[] b = received.digest();
            return Arrays.equals(a, b) ? "intact"
                    : "digest " + HexFormat.of().formatHex(b) + " instead of " + HexFormat.of().formatHex(a);
        }
    }

    private static MessageDigest sha256() throws NoSuchAlgorithmException {
        return MessageDigest.getInstance("SHA-256");
    }
}
