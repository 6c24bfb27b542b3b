package dev.herd.cli;

import picocli.CommandLine;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes as operators write them: {@code 4096}, {@code 512k}, {@code 10m}, {@code 1g} (powers of 1024). */
final class ByteSizes implements CommandLine.ITypeConverter<Long> {
    /** 1 PiB: far beyond any log file, and far from where a long overflows. */
    static final long MAX_BYTES = 1L << 50;
    private static final Pattern FORMAT = Pattern.compile("(\\d+)([kmgKMG])?");

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
