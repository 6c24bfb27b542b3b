package dev.herd.tests;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Collects the lines of a stream (a followed log, an event stream) as they come, on a thread of its own. */
final class Lines {
    private Lines() {
    }

    /** Reads until the stream ends or is closed; start it on a virtual thread. */
    static void collect(InputStream in, List<String> into) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                into.add(line);
            }
        } catch (IOException e) {
            // closed by the test: the end of what it wanted
        }
    }
}
