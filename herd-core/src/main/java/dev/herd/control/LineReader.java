package dev.herd.control;

import java.io.BufferedReader;
import java.io.IOException;

/** Reads newline-terminated lines with a length limit, so a peer cannot make the master buffer without end. */
final class LineReader {
    static final class LineTooLongException extends IOException {
        LineTooLongException(int limit) {
            super("line longer than " + limit + " characters");
        }
    }

    private LineReader() {
    }

    /** The next line without its terminator, or null at the end of the stream. */
    static String readLine(BufferedReader in, int limit) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                return line.toString();
            }
            if (line.length() >= limit) {
                throw new LineTooLongException(limit);
            }
            line.append((char) c);
        }
        return line.isEmpty() ? null : line.toString();
    }
}
