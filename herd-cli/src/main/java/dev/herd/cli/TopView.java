package dev.herd.cli;

import dev.herd.command.ClusterStatus;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStringBuilder;
import org.jline.utils.AttributedStyle;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What {@code herd top} shows, as lines of a given width and height: pure layout, no terminal (the command hands the
 * lines to JLine's Display, which works out the escape codes).
 */
final class TopView {
    private static final int FIXED = 5 + 9 + 5 + 10 + 9 + 5 + 8; // SLOT PID GEN STATE UPTIME RST REQ/S, each with its space

    /**
     * What there is to show.
     *
     * @param title      the first line: which master, how reached
     * @param status     the last status, or null before the first answer
     * @param rates      per pid, its CPU use and requests per second over the last interval; absent for a first sample
     * @param events     recent events as lines, oldest first
     * @param logSlot    the slot whose log is shown, or -1
     * @param log        its last lines, oldest first
     * @param selected   the selected slot, or -1
     * @param footer     the prompt or the last outcome; null for the keys' help
     * @param problem    why the master did not answer the last time, or null
     */
    record Model(String title, ClusterStatus status, Map<Long, Rates> rates, List<String> events, int logSlot,
                 List<String> log, int selected, String footer, String problem) {
    }

    /** A worker's use over the last interval: CPU in percent of one core (100 = a core), requests per second. */
    record Rates(double cpuPercent, double requestsPerSecond) {
    }

    static final String KEYS = "up/down or j/k: select slot   r: reload   R or x: restart slot   q: quit";

    private TopView() {
    }

    static List<AttributedString> render(Model model, int width, int height) {
        List<AttributedString> lines = new ArrayList<>();
        if (width < 20 || height < 8) {
            lines.add(new AttributedString(fit("herd top: the terminal is too small", width)));
            return lines;
        }
        ClusterStatus status = model.status();
        String head = (status == null ? "" : "master pid " + status.masterPid() + ", port " + status.port()
                + ", generation " + status.generation() + ", " + status.slots() + " slots"
                + (status.rollout() == null ? "" : ", " + status.rollout() + " in progress") + "   ") + model.title();
        lines.add(new AttributedString(fit(head, width), AttributedStyle.BOLD));
        if (model.problem() != null) {
            lines.add(new AttributedString(fit(model.problem(), width), AttributedStyle.DEFAULT.foreground(AttributedStyle.RED)));
        }
        int bar = Math.max(12, Math.min(40, (width - FIXED - 2) / 2));
        List<ClusterStatus.WorkerInfo> workers = status == null ? List.of() : status.workers();
        long scale = memoryScale(workers);
        lines.add(new AttributedString(fit(String.format("%-4s %-8s %-4s %-9s %-8s %-4s %7s %-" + (bar + 1) + "s%s",
                "SLOT", "PID", "GEN", "STATE", "UPTIME", "RST", "REQ/S", "CPU", "RSS (bar: " + bytes(scale) + ")"), width),
                AttributedStyle.INVERSE));
        // the rest: workers, then events and the log share what is left, the footer last
        int rest = height - lines.size() - 1;
        int workerRows = Math.min(workers.size(), Math.max(1, rest / 3));
        int first = firstShown(workers, model.selected(), workerRows);
        for (int i = first; i < Math.min(workers.size(), first + workerRows); i++) {
            lines.add(workerLine(workers.get(i), model, bar, scale, width));
        }
        if (workers.isEmpty()) {
            lines.add(new AttributedString(status == null ? "(waiting for the master)" : "(no workers)"));
        }
        int left = height - lines.size() - 1;
        int eventRows = Math.max(1, (left - 2) / 2);
        int logRows = Math.max(1, left - 2 - eventRows);
        lines.add(rule("events", width));
        addTail(lines, model.events(), eventRows, width);
        lines.add(rule(model.logSlot() < 0 ? "log" : "log of slot " + model.logSlot(), width));
        addTail(lines, model.log(), logRows, width);
        while (lines.size() > height - 1) {
            lines.removeLast();
        }
        while (lines.size() < height - 1) {
            lines.add(AttributedString.EMPTY);
        }
        String footer = model.footer() == null ? KEYS : model.footer();
        lines.add(new AttributedString(fit(footer, width - 1), AttributedStyle.INVERSE));
        return lines;
    }

    /** The first worker row shown, so that the selected slot's rows are in view. */
    static int firstShown(List<ClusterStatus.WorkerInfo> workers, int selected, int rows) {
        int index = 0;
        for (int i = 0; i < workers.size(); i++) {
            if (workers.get(i).slot() == selected) {
                index = i;
                break;
            }
        }
        return Math.max(0, Math.min(index - rows + 1 + (rows > 1 ? 1 : 0), workers.size() - rows));
    }

    private static AttributedString workerLine(ClusterStatus.WorkerInfo w, Model model, int bar, long scale, int width) {
        boolean selected = w.slot() == model.selected();
        AttributedStringBuilder line = new AttributedStringBuilder();
        AttributedStyle base = selected ? AttributedStyle.BOLD : AttributedStyle.DEFAULT;
        line.style(base).append(String.format("%s%-3d %-8s %-4d ", selected ? ">" : " ", w.slot(),
                w.pid() == 0 ? "-" : Long.toString(w.pid()), w.generation()));
        String state = w.retired() ? "retired" : w.state().label();
        line.style(base.foreground(stateColor(w))).append(String.format("%-9s", state)).style(base).append(' ');
        Rates rates = model.rates().get(w.pid());
        line.append(String.format("%-8s %-4d %7s ", uptime(w.uptimeMillis()), w.restarts(),
                rates == null ? "-" : perSecond(rates.requestsPerSecond())));
        line.append(bar(rates == null ? 0 : rates.cpuPercent() / 100, bar,
                rates == null ? "-" : String.format("%.1f%%", rates.cpuPercent())));
        line.append(' ');
        line.append(bar(scale == 0 ? 0 : (double) w.rssBytes() / scale, bar, w.rssBytes() == 0 ? "-" : bytes(w.rssBytes())));
        return line.toAttributedString().columnSubSequence(0, width);
    }

    /** Requests per second in at most 7 columns: 0.4, 12.0, 9876, 123.5k, 10000k. */
    static String perSecond(double rate) {
        if (rate < 100) {
            return String.format("%.1f", rate);
        }
        if (rate < 100_000) {
            return String.format("%.0f", rate);
        }
        return rate < 1_000_000 ? String.format("%.1fk", rate / 1000) : String.format("%.0fk", rate / 1000);
    }

    private static int stateColor(ClusterStatus.WorkerInfo w) {
        if (w.retired()) {
            return AttributedStyle.BLUE;
        }
        return switch (w.state().label()) {
            case "ready" -> AttributedStyle.GREEN;
            case "failed", "exited" -> AttributedStyle.RED;
            default -> AttributedStyle.YELLOW;
        };
    }

    /** A bar of this many columns, brackets included, filled to {@code fraction} (0 to 1), the label at its right end. */
    static AttributedString bar(double fraction, int width, String label) {
        String text = barText(fraction, width, label);
        int filled = filled(fraction, width - 2);
        int color = fraction >= 0.8 ? AttributedStyle.RED : fraction >= 0.5 ? AttributedStyle.YELLOW : AttributedStyle.GREEN;
        AttributedStringBuilder b = new AttributedStringBuilder();
        b.append("[");
        b.style(AttributedStyle.DEFAULT.foreground(color)).append(text, 1, 1 + filled);
        b.style(AttributedStyle.DEFAULT).append(text, 1 + filled, text.length());
        return b.toAttributedString();
    }

    /** The bar as text: {@code [|||||     12.3%]}; the label overwrites its right end. */
    static String barText(double fraction, int width, String label) {
        int inner = Math.max(0, width - 2);
        char[] cells = new char[inner];
        int filled = filled(fraction, inner);
        for (int i = 0; i < inner; i++) {
            cells[i] = i < filled ? '|' : ' ';
        }
        String shown = label.length() > inner ? label.substring(0, inner) : label;
        shown.getChars(0, shown.length(), cells, inner - shown.length());
        return "[" + new String(cells) + "]";
    }

    private static int filled(double fraction, int inner) {
        double clamped = Double.isNaN(fraction) ? 0 : Math.max(0, Math.min(1, fraction));
        return (int) Math.round(clamped * inner);
    }

    /** What a full RSS bar stands for: the largest worker's RSS rounded up to a power of two, at least 64 MiB. */
    static long memoryScale(List<ClusterStatus.WorkerInfo> workers) {
        long largest = workers.stream().mapToLong(ClusterStatus.WorkerInfo::rssBytes).max().orElse(0);
        long scale = 64L << 20;
        while (scale < largest) {
            scale <<= 1;
        }
        return scale;
    }

    /** 52.1M, 1.5G, 900K. */
    static String bytes(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format("%.1fG", bytes / (double) (1L << 30));
        }
        if (bytes >= 1L << 20) {
            return String.format("%.1fM", bytes / (double) (1L << 20));
        }
        return (bytes >> 10) + "K";
    }

    /** 24.7s, 3m05s, 2h10m, 3d04h; "-" for none. */
    static String uptime(long millis) {
        if (millis <= 0) {
            return "-";
        }
        long s = millis / 1000;
        if (s < 60) {
            return String.format("%.1fs", millis / 1000.0);
        }
        if (s < 3600) {
            return String.format("%dm%02ds", s / 60, s % 60);
        }
        if (s < 86400) {
            return String.format("%dh%02dm", s / 3600, s % 3600 / 60);
        }
        return String.format("%dd%02dh", s / 86400, s % 86400 / 3600);
    }

    private static AttributedString rule(String title, int width) {
        StringBuilder text = new StringBuilder("-- ").append(title).append(' ');
        while (text.length() < width) {
            text.append('-');
        }
        return new AttributedString(fit(text.toString(), width), AttributedStyle.DEFAULT.faint());
    }

    private static void addTail(List<AttributedString> lines, List<String> source, int rows, int width) {
        int from = Math.max(0, source.size() - rows);
        for (int i = from; i < source.size(); i++) {
            lines.add(new AttributedString(fit(source.get(i), width)));
        }
        for (int i = source.size() - from; i < rows; i++) {
            lines.add(AttributedString.EMPTY);
        }
    }

    /** The text cut to the width, tabs and control characters made harmless (a log line may hold any). */
    static String fit(String text, int width) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), width));
        for (int i = 0; i < text.length() && out.length() < width; i++) {
            char c = text.charAt(i);
            out.append(c == '\t' ? ' ' : Character.isISOControl(c) ? '?' : c);
        }
        return out.toString();
    }
}
