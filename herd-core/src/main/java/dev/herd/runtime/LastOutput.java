package dev.herd.runtime;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * The last lines a worker wrote before it failed, cut to what an event or a status row can carry. Pure: it
 * picks from the last lines of the slot's log those the dying worker wrote, knowing only how many bytes it
 * appended since its spawn, so a predecessor's lines are never quoted as its own.
 */
final class LastOutput {
    static final int MAX_LINES = 5;
    static final int MAX_BYTES = 2048;
    private static final String CUT = "…";

    private LastOutput() {
    }

    /**
     * @param tail         the slot log's last lines, oldest first (at least {@link #MAX_LINES} when there are)
     * @param writtenBytes bytes the worker appended to its output since it was spawned
     * @return the worker's last lines joined by newlines (at most {@link #MAX_LINES} lines and {@link #MAX_BYTES}
     *         bytes, the newest kept), or null when it wrote nothing
     */
    static String quote(List<String> tail, long writtenBytes) {
        Deque<String> quoted = new ArrayDeque<>();
        long own = 0;
        int bytes = 0;
        for (int i = tail.size() - 1; i >= 0 && quoted.size() < MAX_LINES; i--) {
            String line = tail.get(i);
            int length = line.getBytes(StandardCharsets.UTF_8).length;
            own += length + 1;
            // +1: an unfinished last line gets a newline when copied, which the worker did not write
            if (own > writtenBytes + 1) {
                break;
            }
            int separator = quoted.isEmpty() ? 0 : 1;
            if (bytes + separator + length > MAX_BYTES) {
                if (quoted.isEmpty()) {
                    quoted.addFirst(CUT + lastBytes(line, MAX_BYTES - CUT.getBytes(StandardCharsets.UTF_8).length));
                }
                break;
            }
            quoted.addFirst(line);
            bytes += separator + length;
        }
        return quoted.isEmpty() ? null : String.join("\n", quoted);
    }

    /** The end of {@code line} within {@code max} UTF-8 bytes: an error's cause is usually at the end of its line. */
    private static String lastBytes(String line, int max) {
        int start = line.length();
        int bytes = 0;
        while (start > 0) {
            int codePoint = line.codePointBefore(start);
            int size = new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + size > max) {
                break;
            }
            bytes += size;
            start -= Character.charCount(codePoint);
        }
        return line.substring(start);
    }
}
