package dev.herd.control;

import dev.herd.logs.WorkerLogs;
import dev.herd.command.CommandException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Which worker log lines a caller asked for ({@code logs [SLOT|all] [LINES]}, {@code GET /logs?slot=&lines=}):
 * a slot number that has a log, or every slot. Nothing a caller sends ever becomes part of a file path.
 */
record LogRequest(int slot, int lines) {
    static final int DEFAULT_LINES = 100;
    static final int MAX_LINES = 10_000;

    /** @param known the slots that have a log */
    static LogRequest parse(String slotWord, String linesWord, Set<Integer> known) {
        int slot = -1;
        if (slotWord != null && !slotWord.equals("all")) {
            if (!slotWord.matches("\\d{1,4}")) {
                throw new CommandException("logs: slot must be a slot number or 'all', not '" + clip(slotWord) + "'");
            }
            slot = Integer.parseInt(slotWord);
            if (!known.contains(slot)) {
                throw new CommandException("logs: slot " + slot + " has no log; slots with logs: " + known);
            }
        }
        int lines = DEFAULT_LINES;
        if (linesWord != null) {
            lines = BuiltInCommands.count(linesWord, "logs lines", MAX_LINES);
        }
        return new LogRequest(slot, lines);
    }

    /** The last lines, per slot in slot order for all. */
    List<WorkerLogs.Line> tail(WorkerLogs logs) {
        List<WorkerLogs.Line> out = new ArrayList<>();
        try {
            for (int s : slot >= 0 ? Set.of(slot) : logs.slots()) {
                for (String text : logs.tail(s, lines)) {
                    out.add(new WorkerLogs.Line(s, text));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** A line as text: with its slot in front when every slot is shown. */
    String format(WorkerLogs.Line line) {
        return slot >= 0 ? line.text() : "[" + line.slot() + "] " + line.text();
    }

    private static String clip(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
