package dev.herd.cli;

import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.Charset;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.TimeZone;
import java.util.function.Consumer;

/** One named logger of {@link MasterLog}: formats the line and hands it to the sink whole. */
final class MasterLogger extends LegacyAbstractLogger {
    static final int TRACE = Level.TRACE.toInt();
    static final int DEBUG = Level.DEBUG.toInt();
    static final int INFO = Level.INFO.toInt();
    static final int WARN = Level.WARN.toInt();
    static final int ERROR = Level.ERROR.toInt();
    static final int OFF = Integer.MAX_VALUE;

    /**
     * stdout, one write and flush per line under the stream's lock, encoded in the default charset as Logback's
     * console appender did (bytes, not the stream's own encoding).
     */
    static final Consumer<String> STDOUT = line -> {
        byte[] bytes = line.getBytes(Charset.defaultCharset());
        PrintStream out = System.out;
        synchronized (out) {
            out.write(bytes, 0, bytes.length);
            out.flush();
        }
    };

    /**
     * The machine's time zone, which the timestamps are written in. Kept as the TimeZone the JDK reads it into, not as
     * a ZoneId: java.time's ZoneId of it starts the tz database's rules provider, 15 ms of the master's start for the
     * same offsets.
     */
    private static final TimeZone ZONE = TimeZone.getDefault();
    private static final String NEWLINE = System.lineSeparator();

    /** {@code --log-format json}: each line one JSON object ({@link JsonLine}). */
    static volatile boolean json;

    private final int threshold;
    private final transient Consumer<String> sink;

    MasterLogger(String name, int threshold, Consumer<String> sink) {
        this.name = name;
        this.threshold = threshold;
        this.sink = sink;
    }

    @Override
    public boolean isTraceEnabled() {
        return threshold <= TRACE;
    }

    @Override
    public boolean isDebugEnabled() {
        return threshold <= DEBUG;
    }

    @Override
    public boolean isInfoEnabled() {
        return threshold <= INFO;
    }

    @Override
    public boolean isWarnEnabled() {
        return threshold <= WARN;
    }

    @Override
    public boolean isErrorEnabled() {
        return threshold <= ERROR;
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments,
                                               Throwable throwable) {
        if (level.toInt() < threshold) {
            return; // the fluent API (atInfo()...) reaches here without asking isEnabled
        }
        Instant now = Instant.now();
        String message = MessageFormatter.basicArrayFormat(pattern, arguments);
        sink.accept(json ? JsonLine.of(timestamp(now), level, name, message, throwable)
                : line(now, offset(ZONE, now), level, message, throwable));
    }

    /** {@code TIMESTAMP LEVEL MESSAGE} and a line end, then the throwable's stack trace (its own lines) if any. */
    static String line(Instant at, ZoneId zone, Level level, String message, Throwable throwable) {
        return line(at, zone.getRules().getOffset(at), level, message, throwable);
    }

    /** The zone's offset from UTC at that instant (summer time included). */
    static ZoneOffset offset(TimeZone zone, Instant at) {
        return ZoneOffset.ofTotalSeconds(zone.getOffset(at.toEpochMilli()) / 1000);
    }

    /** {@link #line(Instant, ZoneId, Level, String, Throwable)} at a given offset from UTC. */
    static String line(Instant at, ZoneOffset offset, Level level, String message, Throwable throwable) {
        StringBuilder b = new StringBuilder(64 + (message == null ? 4 : message.length()));
        timestamp(b, at, offset);
        String name = level.name();
        b.append(' ').append(name);
        for (int i = name.length(); i < 5; i++) {
            b.append(' ');
        }
        b.append(' ').append(message).append(NEWLINE);
        if (throwable != null) {
            StringWriter trace = new StringWriter();
            try (PrintWriter w = new PrintWriter(trace)) {
                throwable.printStackTrace(w);
            }
            b.append(trace);
        }
        return b.toString();
    }

    /** The timestamp of a line written now, in the machine's zone. */
    static String timestamp(Instant at) {
        StringBuilder b = new StringBuilder(29);
        timestamp(b, at, offset(ZONE, at));
        return b.toString();
    }

    /** {@code yyyy-MM-dd'T'HH:mm:ss.SSSXXX} at the offset: {@code Z} or {@code ±HH:MM}. */
    static void timestamp(StringBuilder b, Instant at, ZoneOffset offset) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(at.getEpochSecond(), at.getNano(), offset);
        pad(b, t.getYear(), 4).append('-');
        pad(b, t.getMonthValue(), 2).append('-');
        pad(b, t.getDayOfMonth(), 2).append('T');
        pad(b, t.getHour(), 2).append(':');
        pad(b, t.getMinute(), 2).append(':');
        pad(b, t.getSecond(), 2).append('.');
        pad(b, t.getNano() / 1_000_000, 3);
        int seconds = offset.getTotalSeconds();
        if (seconds == 0) {
            b.append('Z');
            return;
        }
        int abs = Math.abs(seconds);
        b.append(seconds < 0 ? '-' : '+');
        pad(b, abs / 3600, 2).append(':');
        pad(b, abs / 60 % 60, 2);
    }

    private static StringBuilder pad(StringBuilder b, int value, int width) {
        String digits = Integer.toString(value);
        for (int i = digits.length(); i < width; i++) {
            b.append('0');
        }
        return b.append(digits);
    }
}
