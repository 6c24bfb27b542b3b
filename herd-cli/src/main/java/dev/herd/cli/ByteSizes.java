package dev.herd.cli;

import picocli.CommandLine;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes as operators write them: {@code 4096}, {@code 512k}, {@code 10m}, {@code 1g} (powers of 1024). */
final class ByteSizes implements CommandLine.ITypeConverter<Long> {
    /** 1 PiB: far beyond any log file, and far from where a long overflows. */
    static final long MAX_BYTES = 1L << 50;
    private static final Pattern FORMAT = Pattern.compile("(\\d+)([kmgKMG])?");

    /** The shortest exact spelling: {@code 10m} for 10 MiB, {@code 4097} for 4097 bytes. */
    static String format(long bytes) {
        for (String unit : new String[] {"g", "m", "k"}) {
            int shift = switch (unit) {
                case "g" -> 30;
                case "m" -> 20;
                default -> 10;
            };
            if (bytes != 0 && bytes % (1L << shift) == 0) {
                return (bytes >> shift) + unit;
            }
        }
        return Long.toString(bytes);
    }

    @Override
    public Long convert(String value) {
        Matcher matcher = FORMAT.matcher(value.trim());
        if (!matcher.matches()) {
            throw new CommandLine.TypeConversionException(
                    "'" + value + "' is not a size; use bytes or a number with k, m or g, e.g. 512k, 10m");
        }
        long amount;
        try {
            amount = Long.parseLong(matcher.group(1));
        } catch (NumberFormatException e) {
            amount = Long.MAX_VALUE; // more digits than a long holds: too large, below
        }
        String unit = matcher.group(2) == null ? "" : matcher.group(2).toLowerCase(java.util.Locale.ROOT);
        int shift = switch (unit) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
        };
        if (amount > MAX_BYTES >> shift) {
            throw new CommandLine.TypeConversionException("'" + value + "' is too large; sizes go up to "
                    + (MAX_BYTES >> 30) + "g");
        }
        return amount << shift;
    }
}
