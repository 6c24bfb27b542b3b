package dev.herd.cli;

import dev.herd.command.ClusterStatus;
import dev.herd.control.ControlProtocol;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.ParsedLine;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The interactive console of {@code herd console} and {@code herd run --console} (cluster-service's): a prompt with
 * history ({@code ~/.herd_history}, mode 0600) and completion of command names, their options and words, and slot
 * numbers, that runs the commands of {@code herd COMMAND} against one master and prints what they print.
 */
final class HerdConsole {
    static final String PROMPT = "herd> ";
    static final String HISTORY = ".herd_history";
    /** Commands of herd that are not for a running master, or that take the terminal themselves. */
    private static final Set<String> NOT_HERE = Set.of("run", "config", "systemd-unit", "top", "console", "help", "exit");

    private final Terminal terminal;
    private final MasterConnection master;
    /** The options that point a command at the master: added to each command line that names none. */
    private final List<String> connection;
    private final Map<String, String> commands = commands();
    private List<Integer> slots = List.of();
    private long slotsAt;
    private LineReader reader;

    HerdConsole(Terminal terminal, MasterConnection master, List<String> connection) {
        this.terminal = terminal;
        this.master = master;
        this.connection = List.copyOf(connection);
    }

    /** The command names this console runs, with their one-line descriptions, by name. */
    static Map<String, String> commands() {
        Map<String, String> all = new TreeMap<>();
        HerdCommand.Subcommands.ALL.forEach((name, type) -> {
            if (!NOT_HERE.contains(name)) {
                all.put(name, summary(type.getAnnotation(CommandLine.Command.class).description()));
            }
        });
        all.put("help", "the commands, or 'help COMMAND' for one command's options");
        all.put("exit", "leave the console (also quit, or Ctrl-D); the master goes on");
        all.put("quit", "leave the console");
        return all;
    }

    /** A command's description's first sentence (or clause), at most 72 characters. */
    static String summary(String[] description) {
        String text = String.join(" ", description);
        int end = text.length();
        for (String stop : List.of(". ", ": ", "; ")) {
            int at = text.indexOf(stop);
            if (at > 0 && at < end) {
                end = at;
            }
        }
        text = text.substring(0, end).replaceAll("[.:;]$", "");
        return text.length() <= 72 ? text : text.substring(0, 69) + "...";
    }

    /** The reader, made once; its history file is made private before JLine first writes it. */
    LineReader reader() {
        if (reader == null) {
            LineReaderBuilder builder = LineReaderBuilder.builder().terminal(terminal).appName("herd")
                    .completer(new Completion()).option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                    .option(LineReader.Option.HISTORY_IGNORE_SPACE, true)
                    .variable(LineReader.HISTORY_FILE_SIZE, 1000);
            Path history = historyFile();
            if (history != null) {
                builder.variable(LineReader.HISTORY_FILE, history);
            }
            reader = builder.build();
        }
        return reader;
    }

    /** {@code $HOME/.herd_history} (else the user's home), created with mode 0600; null when it cannot be. */
    static Path historyFile() {
        String home = System.getenv("HOME");
        Path dir = home != null && home.startsWith("/") ? Path.of(home) : Path.of(System.getProperty("user.home"));
        Path file = dir.resolve(HISTORY);
        try {
            if (Files.exists(file)) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } else {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            return file;
        } catch (IOException | UnsupportedOperationException e) {
            System.err.println("herd: no command history: cannot use " + file + " (" + e.getMessage() + ")");
            return null;
        }
    }

    /** Reads and runs commands until exit, quit or Ctrl-D (end of input). */
    void run() {
        LineReader lines = reader();
        terminal.writer().println("Herd console: commands of a running master, as 'herd COMMAND' runs them."
                + " 'help' lists them; Tab completes; 'exit' or Ctrl-D leaves.");
        terminal.flush();
        while (true) {
            String line;
            try {
                line = lines.readLine(PROMPT);
            } catch (UserInterruptException e) {
                continue; // Ctrl-C at the prompt: a new line, as in a shell
            } catch (EndOfFileException e) {
                return;
            }
            List<String> words = new ArrayList<>(lines.getParsedLine().words());
            words.removeIf(String::isEmpty);
            if (words.isEmpty()) {
                continue;
            }
            String name = words.getFirst();
            if (name.equals("exit") || name.equals("quit")) {
                return;
            }
            if (name.equals("help") || name.equals("?")) {
                help(words);
                continue;
            }
            execute(words);
        }
    }

    private void help(List<String> words) {
        if (words.size() > 1 && commands.containsKey(words.get(1)) && !Set.of("help", "exit", "quit").contains(words.get(1))) {
            execute(List.of(words.get(1), "--help"));
            return;
        }
        StringBuilder text = new StringBuilder("Commands (each as 'herd COMMAND' runs it; 'help COMMAND' for its options):\n");
        commands.forEach((name, description) -> text.append(String.format("  %-15s %s%n", name, description)));
        text.append("To stop the master at once (herd's 'exit now'): exec exit now\n");
        System.out.print(text);
        System.out.flush();
    }

    /**
     * Runs one command line as {@code herd} would, with the console's master unless the line names one, on a thread of
     * its own: Ctrl-C while it runs (a {@code logs -f}, say) ends that command, not the console.
     */
    private void execute(List<String> words) {
        if (!commands.containsKey(words.getFirst())) {
            System.err.println("herd: unknown command '" + words.getFirst() + "'; 'help' lists them");
            return;
        }
        List<String> argv = new ArrayList<>(words);
        if (argv.stream().noneMatch(w -> Set.of("--state-dir", "-p", "--port", "--url", "--key").contains(w.split("=", 2)[0]))
                && !argv.contains("--help") && !argv.contains("-h")) {
            argv.addAll(1, connection);
        }
        boolean[] interrupted = {false};
        Thread thread = new Thread(() -> {
            String[] args = argv.toArray(String[]::new);
            java.io.StringWriter errors = new java.io.StringWriter();
            try {
                CommandLine commandLine = HerdCommand.commandLine(args);
                commandLine.setErr(new java.io.PrintWriter(errors, true));
                commandLine.execute(args);
            } catch (RuntimeException e) {
                errors.append("herd: ").append(String.valueOf(e.getMessage())).append('\n');
            }
            if (!interrupted[0]) { // what a command ended by Ctrl-C says of its broken stream is no news
                System.err.print(errors);
            }
        }, "herd-console-command");
        thread.setDaemon(true);
        Terminal.SignalHandler before = terminal.handle(Terminal.Signal.INT, signal -> {
            interrupted[0] = true;
            thread.interrupt();
        });
        thread.start();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            terminal.handle(Terminal.Signal.INT, before);
            System.out.flush();
            System.err.flush();
        }
    }

    /** The master's slots, asked for at most every 2 seconds while completing. */
    private List<Integer> slots() {
        long now = System.nanoTime();
        if (now - slotsAt > 2_000_000_000L || slots.isEmpty()) {
            try {
                ControlProtocol.Answer answer = master.send("status", List.of());
                if (answer.ok()) {
                    slots = answer.result(ClusterStatus.class).workers().stream().map(ClusterStatus.WorkerInfo::slot)
                            .distinct().sorted().toList();
                    slotsAt = now;
                }
            } catch (RuntimeException e) {
                return List.of(); // no master now: nothing to offer
            }
        }
        return slots;
    }

    /** Command names first; then per command its words (all, slot, pid, enable...), slot numbers and options. */
    private final class Completion implements Completer {
        @Override
        public void complete(LineReader lineReader, ParsedLine line, List<Candidate> candidates) {
            int index = line.wordIndex();
            List<String> words = line.words();
            if (index == 0) {
                commands.forEach((name, description) -> candidates.add(candidate(name, description)));
                return;
            }
            String command = words.getFirst();
            String previous = words.get(index - 1);
            String word = line.word();
            if (word.startsWith("-")) {
                options(command).forEach(option -> candidates.add(candidate(option, null)));
                return;
            }
            switch (command) {
                case "restart", "shutdown" -> {
                    if (index == 1) {
                        List.of("all", "slot", "pid").forEach(w -> candidates.add(candidate(w, null)));
                    } else if (previous.equals("slot")) {
                        slots().forEach(slot -> candidates.add(candidate(Integer.toString(slot), "slot")));
                    }
                }
                case "logs" -> {
                    if (index == 1) {
                        candidates.add(candidate("all", null));
                        slots().forEach(slot -> candidates.add(candidate(Integer.toString(slot), "slot")));
                    }
                }
                case "ecv" -> {
                    if (index == 1) {
                        List.of("enable", "disable").forEach(w -> candidates.add(candidate(w, null)));
                    }
                }
                case "help" -> {
                    if (index == 1) {
                        commands.keySet().forEach(name -> candidates.add(candidate(name, null)));
                    }
                }
                default -> {
                }
            }
        }

        private Candidate candidate(String value, String description) {
            return new Candidate(value, value, null, description, null, null, true);
        }

        private List<String> options(String command) {
            Class<?> type = HerdCommand.Subcommands.ALL.get(command);
            if (type == null || NOT_HERE.contains(command)) {
                return List.of();
            }
            List<String> names = new ArrayList<>();
            new CommandLine(type).getCommandSpec().options().forEach(option -> names.addAll(List.of(option.names())));
            return names;
        }
    }
}
