package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jline.reader.LineReader;
import org.junit.jupiter.api.Test;

/**
 * {@code herd run --console}'s output while the console starts: the master's lines are held while JLine sets the
 * terminal up (its probe restores the cursor over whatever was written meanwhile), then printed above the prompt, or
 * given back to the master's own stream when the console cannot start. None is lost either way.
 */
class RunConsoleTest {
    /** The master's stream as the console makes it, over a stand-in for the stream the master had before. */
    private static final class Output {
        final ByteArrayOutputStream before = new ByteArrayOutputStream();
        final RunConsole.PrintAbove above = new RunConsole.PrintAbove(new PrintStream(before, true, StandardCharsets.UTF_8),
                StandardCharsets.UTF_8);
        final PrintStream master = new PrintStream(above, true, StandardCharsets.UTF_8);
    }

    private static void print(PrintStream stream, String... lines) {
        for (String line : lines) {
            stream.println(line);
        }
    }

    /** A reader that records what is printed above its prompt (the one call the console's output makes). */
    private static LineReader recording(List<String> printed) {
        return (LineReader) Proxy.newProxyInstance(LineReader.class.getClassLoader(), new Class<?>[] {LineReader.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("printAbove") && args.length == 1 && args[0] instanceof String text) {
                        printed.add(text);
                        return null;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void linesWrittenBeforeTheReaderIsThereAreHeldThenPrintedAboveInOrder() {
        Output output = new Output();
        print(output.master, "event=worker.forked slot=0", "event=worker.ready slot=0");
        List<String> printed = new ArrayList<>();
        assertThat(output.before.size()).as("held, not written past the console").isZero();
        output.above.above(recording(printed));
        print(output.master, "event=worker.exited slot=0");
        assertThat(printed).containsExactly("event=worker.forked slot=0", "event=worker.ready slot=0",
                "event=worker.exited slot=0");
        assertThat(output.before.size()).isZero();
    }

    @Test
    void whenTheConsoleCannotStartTheHeldLinesGoToTheMastersStream() {
        Output output = new Output();
        print(output.master, "one", "two");
        output.above.release();
        print(output.master, "three");
        assertThat(output.before.toString(StandardCharsets.UTF_8)).isEqualTo("one\ntwo\nthree\n");
    }

    @Test
    void atMostHoldLinesAreHeldTheRestGoToTheMastersStreamAtOnce() {
        Output output = new Output();
        for (int i = 0; i < RunConsole.PrintAbove.HOLD + 2; i++) {
            output.master.println("line " + i);
        }
        assertThat(output.before.toString(StandardCharsets.UTF_8)).isEqualTo("line 10000\nline 10001\n");
        output.above.release();
        assertThat(output.before.toString(StandardCharsets.UTF_8)).startsWith("line 10000\nline 10001\nline 0\nline 1\n")
                .endsWith("line 9999\n");
    }
}
