package dev.herd.cli;

import dev.herd.StartupException;
import dev.herd.command.Answers;
import dev.herd.command.ClusterStatus;
import dev.herd.command.RolloutResult;
import dev.herd.control.ControlProtocol;
import org.jline.keymap.BindingReader;
import org.jline.keymap.KeyMap;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.Display;
import org.jline.utils.InfoCmp.Capability;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code herd top}: a live full-screen view of a running master, like {@code pm2 monit}. The workers (with CPU and
 * RSS bars) from {@code status} polled every {@code --interval} and at each event, the events from the master's
 * event stream, the selected slot's log from {@code logs}; keys reload and restart. JLine draws it (its Display works
 * out the escape codes from the terminal's capabilities) on the terminal's alternate screen, which is left, with the
 * terminal's modes restored, on {@code q}, Ctrl-C, SIGTERM or SIGHUP.
 */
@Command(name = "top", mixinStandardHelpOptions = true,
        description = {"A live view of a running master in the terminal: its workers with requests per second and CPU",
                "and RSS bars, the recent events and the selected slot's log. Keys: up/down or j/k select a slot, r reloads, R or x restarts",
                "the selected slot (each asks y/n first), q or Ctrl-C quits. Needs a terminal."})
final class TopCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin MasterConnection master;
    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s", converter = Durations.class,
            description = "How often the workers and the log are asked for (events come as they happen). Default: ${DEFAULT-VALUE}.")
    Duration interval;

    private enum Key { UP, DOWN, RELOAD, RESTART, YES, NO, QUIT, OTHER, REFRESH, RESIZE }

    private static final int EVENTS_KEPT = 200;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

    private final BlockingQueue<Key> keys = new LinkedBlockingQueue<>();
    private final Semaphore nudge = new Semaphore(0);
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Object lock = new Object();
    // guarded by lock
    private ClusterStatus status;
    private final Map<Long, double[]> lastCounters = new HashMap<>(); // pid -> {cpu seconds, requests, nanoTime}
    private Map<Long, TopView.Rates> rates = Map.of();
    private final ArrayDeque<String> events = new ArrayDeque<>();
    private int logSlot = -1;
    private List<String> log = List.of();
    private int selected = -1;
    private String footer;
    private String problem;
    private Key confirming;
    private int confirmSlot;

    @Override
    public Integer call() {
        java.io.Console console = System.console();
        if (console == null || !console.isTerminal()) {
            throw new StartupException(StartupException.USAGE,
                    "top needs a terminal, and its output or input is not one; use 'herd status' or 'herd events -f' instead");
        }
        if (interval.isNegative() || interval.isZero()) {
            throw new StartupException(StartupException.USAGE, "--interval: '" + interval + "' must be more than 0");
        }
        master.requireAnswer();
        Terminal terminal;
        try {
            terminal = TerminalBuilder.builder().system(true).dumb(false).build();
        } catch (IOException | IllegalStateException e) {
            throw new StartupException(StartupException.USAGE, "top cannot use this terminal: " + e.getMessage());
        }
        Screen screen = new Screen(terminal);
        Thread restoreOnExit = new Thread(screen::restore, "herd-top-restore");
        Runtime.getRuntime().addShutdownHook(restoreOnExit); // SIGTERM, SIGHUP: the terminal is given back as it was
        try {
            screen.take();
            start("herd-top-keys", () -> readKeys(terminal));
            start("herd-top-poll", this::poll);
            start("herd-top-events", this::followEvents);
            terminal.handle(Terminal.Signal.WINCH, signal -> keys.add(Key.RESIZE));
            loop(terminal, screen);
        } finally {
            running.set(false);
            screen.restore();
            try {
                Runtime.getRuntime().removeShutdownHook(restoreOnExit);
            } catch (IllegalStateException e) {
                // exiting already
            }
            try {
                terminal.close();
            } catch (IOException e) {
                // the modes are restored already
            }
        }
        return 0;
    }

    /** The terminal's alternate screen and modes, taken once and given back once. */
    private static final class Screen {
        private final Terminal terminal;
        private Attributes saved;
        private final AtomicBoolean restored = new AtomicBoolean();

        Screen(Terminal terminal) {
            this.terminal = terminal;
        }

        void take() {
            saved = terminal.enterRawMode();
            Attributes raw = terminal.getAttributes();
            raw.setLocalFlag(Attributes.LocalFlag.ISIG, false); // Ctrl-C is a key here: q's, with the screen restored
            terminal.setAttributes(raw);
            terminal.puts(Capability.enter_ca_mode);
            terminal.puts(Capability.keypad_xmit);
            terminal.puts(Capability.cursor_invisible);
            terminal.flush();
        }

        void restore() {
            if (saved == null || !restored.compareAndSet(false, true)) {
                return;
            }
            terminal.puts(Capability.cursor_visible);
            terminal.puts(Capability.keypad_local);
            terminal.puts(Capability.exit_ca_mode);
            terminal.flush();
            terminal.setAttributes(saved);
        }
    }

    private static void start(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
    }

    private void loop(Terminal terminal, Screen screen) {
        Display display = new Display(terminal, true);
        Size size = terminal.getSize();
        display.clear();
        display.resize(size);
        while (true) {
            synchronized (lock) {
                display.update(TopView.render(model(), size.getColumns(), size.getRows()),
                        size.cursorPos(size.getRows() - 1, 0));
            }
            terminal.flush();
            Key key;
            try {
                key = keys.poll(interval.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (key == Key.QUIT) {
                return;
            }
            if (key == Key.RESIZE) {
                size = terminal.getSize();
                display.clear();
                display.resize(size);
            } else if (key != null && key != Key.REFRESH) {
                onKey(key);
            }
        }
    }

    private TopView.Model model() {
        String title = "herd top, " + (master.url != null ? master.url.toString() : master.socket().toString());
        return new TopView.Model(title, status, rates, List.copyOf(events), logSlot, log, selected, footer, problem);
    }

    private void onKey(Key key) {
        synchronized (lock) {
            if (confirming != null) {
                Key what = confirming;
                confirming = null;
                if (key == Key.YES) {
                    act(what, confirmSlot);
                } else {
                    footer = what == Key.RELOAD ? "reload cancelled" : "restart cancelled";
                }
                return;
            }
            switch (key) {
                case UP, DOWN -> select(key == Key.UP ? -1 : 1);
                case RELOAD -> {
                    confirming = Key.RELOAD;
                    footer = "Reload every worker (a new generation, slot by slot)? y/n";
                }
                case RESTART -> {
                    if (selected < 0) {
                        footer = "no slot selected";
                    } else {
                        confirming = Key.RESTART;
                        confirmSlot = selected;
                        footer = "Restart slot " + selected + " (a new worker takes over when ready)? y/n";
                    }
                }
                default -> {
                }
            }
        }
    }

    /** Moves the selection to the previous or next slot shown. */
    private void select(int step) {
        List<Integer> slots = slots();
        if (slots.isEmpty()) {
            return;
        }
        int at = slots.indexOf(selected);
        int next = at < 0 ? 0 : Math.max(0, Math.min(slots.size() - 1, at + step));
        if (slots.get(next) != selected) {
            selected = slots.get(next);
            log = List.of();
            logSlot = selected;
            nudge.release();
        }
    }

    private List<Integer> slots() {
        if (status == null) {
            return List.of();
        }
        return status.workers().stream().map(ClusterStatus.WorkerInfo::slot).distinct().sorted().toList();
    }

    /** Runs the reload or restart on its own thread (each waits until done); the outcome goes to the footer. */
    private void act(Key what, int slot) {
        String doing = what == Key.RELOAD ? "reload" : "restart of slot " + slot;
        footer = doing + ": under way...";
        start("herd-top-action", () -> {
            String outcome;
            try {
                ControlProtocol.Answer answer = what == Key.RELOAD ? master.send("reload", List.of())
                        : master.send("restart", List.of("slot", Integer.toString(slot)));
                if (!answer.ok()) {
                    outcome = doing + " refused: " + answer.error();
                } else {
                    ByteArrayOutputStream text = new ByteArrayOutputStream();
                    ControlCommands.printRollout(answer.result(RolloutResult.class), new PrintStream(text, true, StandardCharsets.UTF_8));
                    outcome = text.toString(StandardCharsets.UTF_8).strip();
                }
            } catch (RuntimeException e) {
                outcome = doing + " failed: " + e.getMessage();
            }
            synchronized (lock) {
                footer = outcome;
            }
            nudge.release();
            keys.add(Key.REFRESH);
        });
    }

    private void readKeys(Terminal terminal) {
        KeyMap<Key> map = new KeyMap<>();
        map.bind(Key.UP, KeyMap.key(terminal, Capability.key_up), "\033[A", "\033OA", "k");
        map.bind(Key.DOWN, KeyMap.key(terminal, Capability.key_down), "\033[B", "\033OB", "j");
        map.bind(Key.RELOAD, "r");
        map.bind(Key.RESTART, "R", "x");
        map.bind(Key.YES, "y", "Y");
        map.bind(Key.NO, "n", "N");
        map.bind(Key.QUIT, "q", KeyMap.ctrl('C'), KeyMap.ctrl('D'));
        map.setNomatch(Key.OTHER);
        map.setUnicode(Key.OTHER);
        map.setAmbiguousTimeout(100);
        BindingReader reader = new BindingReader(terminal.reader());
        while (running.get()) {
            Key key;
            try {
                key = reader.readBinding(map, null, true);
            } catch (RuntimeException e) {
                key = null;
            }
            if (key == null) { // end of input: the terminal went away
                keys.add(Key.QUIT);
                return;
            }
            keys.add(key);
        }
    }

    /** Asks for the workers (and the selected slot's log) every interval, and sooner after an event. */
    private void poll() {
        while (running.get()) {
            try {
                ControlProtocol.Answer answer = master.send("status", List.of());
                synchronized (lock) {
                    if (answer.ok()) {
                        update(answer.result(ClusterStatus.class));
                        problem = null;
                    } else {
                        problem = "status: " + answer.error();
                    }
                }
                int slot;
                synchronized (lock) {
                    slot = selected;
                }
                if (slot >= 0) {
                    ControlProtocol.Answer lines = master.send("logs", List.of(Integer.toString(slot), "200"));
                    synchronized (lock) {
                        if (slot == selected) {
                            logSlot = slot;
                            log = lines.ok() ? lines.resultList(Answers.LogLine.class).stream().map(Answers.LogLine::line).toList()
                                    : List.of("(" + lines.error() + ")");
                        }
                    }
                }
            } catch (RuntimeException e) {
                synchronized (lock) {
                    problem = e.getMessage();
                }
            }
            keys.add(Key.REFRESH);
            try {
                if (nudge.tryAcquire(interval.toMillis(), TimeUnit.MILLISECONDS)) {
                    nudge.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** A new status: CPU use and requests per second since the last one per pid, and a selection that still exists. */
    private void update(ClusterStatus next) {
        long now = System.nanoTime();
        Map<Long, TopView.Rates> current = new HashMap<>();
        Map<Long, double[]> seen = new HashMap<>();
        for (ClusterStatus.WorkerInfo w : next.workers()) {
            if (w.pid() == 0) {
                continue;
            }
            double[] before = lastCounters.get(w.pid());
            if (before != null && now > before[2]) {
                double seconds = (now - before[2]) / 1e9;
                current.put(w.pid(), new TopView.Rates(Math.max(0, (w.cpuSeconds() - before[0]) * 100 / seconds),
                        Math.max(0, (w.requests() - before[1]) / seconds)));
            } else if (before != null && rates.containsKey(w.pid())) {
                current.put(w.pid(), rates.get(w.pid()));
            }
            seen.put(w.pid(), new double[] {w.cpuSeconds(), w.requests(), now});
        }
        lastCounters.clear();
        lastCounters.putAll(seen);
        rates = current;
        status = next;
        List<Integer> slots = slots();
        if (!slots.isEmpty() && !slots.contains(selected)) {
            selected = slots.getFirst();
            logSlot = selected;
            log = List.of();
            nudge.release();
        }
    }

    /** The master's events, as they happen; reconnects after a second when the stream ends (the master restarted). */
    private void followEvents() {
        while (running.get()) {
            try {
                synchronized (lock) {
                    events.clear();
                }
                master.events(50, true, event -> {
                    synchronized (lock) {
                        events.addLast(eventLine(event));
                        while (events.size() > EVENTS_KEPT) {
                            events.removeFirst();
                        }
                    }
                    nudge.release();
                    keys.add(Key.REFRESH);
                });
            } catch (RuntimeException e) {
                synchronized (lock) {
                    events.addLast("(event stream: " + e.getMessage() + ")");
                }
            }
            try {
                Thread.sleep(1000); // the stream ended: ask again, at most once a second
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** {@code 17:13:51 worker.ready slot=1 pid=7841 generation=1}, the time in the local zone. */
    static String eventLine(Map<String, Object> event) {
        StringBuilder line = new StringBuilder();
        try {
            line.append(TIME.format(Instant.parse(String.valueOf(event.get("at")))));
        } catch (java.time.format.DateTimeParseException e) {
            line.append(event.get("at"));
        }
        line.append(' ').append(event.get("event"));
        event.forEach((name, value) -> {
            if (!List.of("id", "at", "event").contains(name)) {
                line.append(' ').append(name).append('=').append(value instanceof String s ? s
                        : dev.herd.control.ControlJson.write(value));
            }
        });
        return line.toString();
    }
}
