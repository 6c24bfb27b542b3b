package dev.herd.cron;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;

/**
 * A crontab schedule, five fields (minute, hour, day of month, month, day of week), in the master's time zone:
 * when {@code --reload-at} reloads the cluster (PM2's {@code cron_restart}). Parsed by cron-utils.
 */
public final class CronSchedule {
    private static final List<String> FIELDS = List.of("minute", "hour", "day-of-month", "month", "day-of-week");
    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    private final String expression;
    private final ExecutionTime times;
    private final ZoneId zone;

    private CronSchedule(String expression, Cron cron, ZoneId zone) {
        this.expression = expression;
        this.times = ExecutionTime.forCron(cron);
        this.zone = zone;
    }

    /**
     * @throws IllegalArgumentException naming the field that is wrong and what the fields are, e.g. "hour '25': value
     *                                  25 not in range [0, 23]"
     */
    public static CronSchedule parse(String expression, ZoneId zone) {
        String[] fields = expression == null ? new String[0] : expression.trim().split("\\s+");
        if (fields.length != FIELDS.size() || fields[0].isEmpty()) {
            throw new IllegalArgumentException("has " + (fields.length == 1 && fields[0].isEmpty() ? 0 : fields.length)
                    + " fields; a cron expression has 5: " + String.join(" ", FIELDS) + ", e.g. '0 4 * * *' for 04:00 daily");
        }
        for (int i = 0; i < fields.length; i++) {
            String[] alone = {"*", "*", "*", "*", "*"};
            alone[i] = fields[i];
            try {
                PARSER.parse(String.join(" ", alone));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("has a bad " + FIELDS.get(i) + " field '" + fields[i] + "': "
                        + e.getMessage() + " (the fields: " + String.join(" ", FIELDS) + ")");
            }
        }
        try {
            return new CronSchedule(expression.trim(), PARSER.parse(String.join(" ", fields)), zone);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("is not a cron expression: " + e.getMessage());
        }
    }

    /** The first time strictly after {@code after}; empty when there is none (e.g. February 30th). */
    public Optional<Instant> next(Instant after) {
        return times.nextExecution(ZonedDateTime.ofInstant(after, zone)).map(ZonedDateTime::toInstant);
    }

    @Override
    public String toString() {
        return expression;
    }
}
