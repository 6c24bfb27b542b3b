package dev.herd.cli;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The master's SLF4J backend: one line per call on stdout, {@code 2026-11-23T11:11:15.440Z INFO  event=...}: the
 * timestamp in the local zone ({@code yyyy-MM-dd'T'HH:mm:ss.SSSXXX}), the level padded to 5, the message, and a
 * stack trace below it when the call passed a throwable. It is the line Logback wrote with Herd's former
 * {@code logback.xml} ({@code %d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %msg%n}), without Logback's start-up: its
 * configuration, XML parser and appender machinery loaded about 700 classes at every start of the master
 * (docs/benchmarks.md, "Master footprint").
 *
 * <p>The level is {@code HERD_LOG_LEVEL} (a system property, else the environment variable; TRACE, DEBUG, INFO, WARN,
 * ERROR, OFF or ALL, any case; default INFO; anything else is DEBUG, as Logback read it). Found by SLF4J through
 * {@code META-INF/services/org.slf4j.spi.SLF4JServiceProvider}.
 */
public final class MasterLog implements SLF4JServiceProvider {
    private ILoggerFactory loggers;
    private IMarkerFactory markers;
    private MDCAdapter mdc;

    public MasterLog() {
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return loggers;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {
        int threshold = threshold(setting());
        Map<String, Logger> byName = new ConcurrentHashMap<>();
        loggers = name -> byName.computeIfAbsent(name, n -> new MasterLogger(n, threshold, MasterLogger.STDOUT));
        markers = new BasicMarkerFactory();
        mdc = new NOPMDCAdapter();
    }

    /**
     * {@code --log-format}: {@code logfmt} or {@code json}, checked.
     *
     * @throws IllegalArgumentException naming the value and the choices
     */
    static String format(String value) {
        return switch (value) {
            case "logfmt", "json" -> value;
            default -> throw new IllegalArgumentException("'" + value + "' is not a log format; give logfmt or json");
        };
    }

    /** Writes every line from now on in this format ({@link #format}). */
    static void useFormat(String format) {
        MasterLogger.json = format(format).equals("json");
    }

    private static String setting() {
        String value = System.getProperty("HERD_LOG_LEVEL");
        return value != null ? value : System.getenv("HERD_LOG_LEVEL");
    }

    /** The lowest level logged ({@link org.slf4j.event.Level#toInt()}), from a {@code HERD_LOG_LEVEL} value. */
    static int threshold(String level) {
        if (level == null || level.isBlank()) {
            return MasterLogger.INFO;
        }
        return switch (level.trim().toUpperCase(Locale.ROOT)) {
            case "ALL", "TRACE" -> MasterLogger.TRACE;
            case "INFO" -> MasterLogger.INFO;
            case "WARN" -> MasterLogger.WARN;
            case "ERROR" -> MasterLogger.ERROR;
            case "OFF" -> MasterLogger.OFF;
            default -> MasterLogger.DEBUG; // "DEBUG", and what Logback made of a level it did not know
        };
    }
}
