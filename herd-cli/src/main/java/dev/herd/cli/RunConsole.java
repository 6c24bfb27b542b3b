package dev.herd.cli;

import dev.herd.Event;
import dev.herd.EventListener;
import dev.herd.StartupException;
import org.jline.reader.LineReader;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code herd run --console}: once the master listens, {@link HerdConsole}'s prompt on its terminal, talking to this
 * master over its own control socket. While the prompt is up, the master's output (its log lines, worker lines with
 * --log-to stdout) is printed above it. JLine installs no signal handler here: Ctrl-C reaches the master as it
 * always does (a drain, then exit), and the terminal's modes are given back when the master stops.
 */
final class RunConsole implements EventListener, AutoCloseable {
    private final Path stateDir;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final PrintStream out = System.out;
    private final PrintStream err = System.err;
    private volatile Terminal terminal;

    RunConsole(Path stateDir) {
        this.stateDir = stateDir;
    }

    /** Refuses --console without a terminal: exit 2, one line, before the master starts. */
    static void checkTerminal() {
        java.io.Console console = System.console();
        if (console == null || !console.isTerminal()) {
            throw new StartupException(StartupException.USAGE, "--console needs a terminal (stdin and stdout), and"
                    + " this is not one; leave it out under a service manager or with redirected output, and use"
                    + " 'herd console' from a terminal instead");
        }
    }

    @Override
    public void onEvent(Event event) {
        if (event instanceof Event.ClusterListening && started.compareAndSet(false, true)) {
            Thread thread = new Thread(this::run, "herd-console");
            thread.setDaemon(true);
            thread.start();
        }
    }

    private void run() {
        // The master's lines are held while the terminal is set up: JLine probes it (it saves the cursor, writes a
        // wide character, asks where the cursor went and restores it), and a line the master wrote meanwhile was
        // overwritten by what came after the restore (a worker's `ready` line lost from the screen).
        Charset charset = Charset.defaultCharset();
        PrintAbove stdout = new PrintAbove(out, charset);
        PrintAbove stderr = new PrintAbove(err, charset);
        System.setOut(new PrintStream(stdout, true, charset));
        System.setErr(new PrintStream(stderr, true, charset));
        try {
            terminal = TerminalBuilder.builder().system(true).nativeSignals(false).build();
            if (closed.get()) {
                terminal.close();
                return;
            }
            MasterConnection master = new MasterConnection();
            master.stateDir = stateDir;
            HerdConsole console = new HerdConsole(terminal, master, List.of("--state-dir", stateDir.toString()));
            LineReader reader = console.reader();
            stdout.above(reader);
            stderr.above(reader);
            console.run();
            if (!closed.get()) {
                restoreStreams();
                terminal.close();
                out.println("herd: the console is closed; the master goes on (Ctrl-C or 'herd stop' stops it)");
                out.flush();
            }
        } catch (IOException | RuntimeException | java.io.IOError e) {
            if (!closed.get()) {
                restoreStreams();
                err.println("herd: the console stopped: " + e);
            }
        } finally {
            stdout.release();
            stderr.release();
        }
    }

    private void restoreStreams() {
        System.setOut(out);
        System.setErr(err);
    }

    /** The master stopped: its streams as they were, the terminal's modes as they were. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        restoreStreams();
        Terminal shown = terminal;
        if (shown != null) {
            try {
                shown.writer().println();
                shown.flush();
                shown.close();
            } catch (IOException | RuntimeException e) {
                // the terminal is gone already
            }
        }
    }

    /**
     * Whole lines, each printed above the prompt (the prompt and what is typed are drawn again below) once the reader
     * is there ({@link #above}); until then held, and written to the stream the master had when the console could not
     * start ({@link #release}). At most {@link #HOLD} lines are held: beyond, they go to that stream at once.
     */
    static final class PrintAbove extends OutputStream {
        static final int HOLD = 10_000;
        private final PrintStream before;
        private final Charset charset;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private final List<String> held = new java.util.ArrayList<>();
        private LineReader reader;
        private boolean released;

        PrintAbove(PrintStream before, Charset charset) {
            this.before = before;
            this.charset = charset;
        }

        /** From now on lines go above {@code reader}'s prompt, those held first. */
        synchronized void above(LineReader reader) {
            held.forEach(reader::printAbove);
            held.clear();
            this.reader = reader;
        }

        /** The console is gone: what is held, and every line from now on, to the master's own stream. */
        synchronized void release() {
            held.forEach(before::println);
            held.clear();
            before.flush();
            released = true;
        }

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                String text = line.toString(charset);
                line.reset();
                if (released || (reader == null && held.size() >= HOLD)) {
                    before.println(text);
                } else if (reader == null) {
                    held.add(text);
                } else {
                    reader.printAbove(text);
                }
            } else {
                line.write(b);
            }
        }

        @Override
        public synchronized void write(byte[] bytes, int offset, int length) {
            for (int i = offset; i < offset + length; i++) {
                write(bytes[i]);
            }
        }
    }
}
