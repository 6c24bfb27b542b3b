package dev.herd;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The CLI and config spelling of a setting's values: lower case, '-' for '_' (round-robin, least-conn). */
public final class EnumLabels {
    private EnumLabels() {
    }

    public static String label(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Parses a label; the error names what was given and every accepted value. */
    public static <E extends Enum<E>> E parse(E[] values, String value, String what) {
        String wanted = value.trim().toLowerCase(Locale.ROOT);
        for (E candidate : values) {
            if (label(candidate).equals(wanted)) {
                return candidate;
            }
        }
        throw new IllegalArgumentException("'" + value + "' is not " + what + "; use one of "
                + Arrays.stream(values).map(EnumLabels::label).collect(Collectors.joining(", ")));
    }
}
