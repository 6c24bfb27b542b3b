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
            Charset charset = Charset.defaultCharset();
            System.setOut(new PrintStream(new PrintAbove(reader, charset), true, charset));
            System.setErr(new PrintStream(new PrintAbove(reader, charset), true, charset));
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

    /** Whole lines, each printed above the prompt (the prompt and what is typed are drawn again below). */
    static final class PrintAbove extends OutputStream {
        private final LineReader reader;
        private final Charset charset;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        PrintAbove(LineReader reader, Charset charset) {
            this.reader = reader;
            this.charset = charset;
        }

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                reader.printAbove(line.toString(charset));
                line.reset();
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
