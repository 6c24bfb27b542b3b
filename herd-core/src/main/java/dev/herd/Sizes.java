package dev.herd;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes as operators write them: {@code 4096}, {@code 512k}, {@code 10m}, {@code 1g} (powers of 1024). */
public final class Sizes {
    /** 1 PiB: far beyond any limit Herd takes, and far from where a long overflows. */
    public static final long MAX_BYTES = 1L << 50;
    private static final Pattern FORMAT = Pattern.compile("(\\d+)([kmgKMG])?");

    private Sizes() {
    }

    /** @throws IllegalArgumentException with a message that shows the accepted form */
    public static long parse(String value) {
        Matcher matcher = FORMAT.matcher(value.trim());
        if (!matcher.matches()) {
            throw new IllegalArgumentException(
                    "'" + value + "' is not a size; use bytes or a number with k, m or g, e.g. 512k, 10m");
        }
        long amount;
        try {
            amount = Long.parseLong(matcher.group(1));
        } catch (NumberFormatException e) {
            amount = Long.MAX_VALUE; // more digits than a long holds: too large, below
        }
        int shift = switch (matcher.group(2) == null ? "" : matcher.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
        };
        if (amount > MAX_BYTES >> shift) {
            throw new IllegalArgumentException("'" + value + "' is too large; sizes go up to " + (MAX_BYTES >> 30) + "g");
        }
        return amount << shift;
    }

    /** The shortest exact spelling: {@code 10m} for 10 MiB, {@code 4097} for 4097 bytes. */
    public static String format(long bytes) {
        for (int shift : new int[] {30, 20, 10}) {
            if (bytes != 0 && bytes % (1L << shift) == 0) {
                return (bytes >> shift) + (shift == 30 ? "g" : shift == 20 ? "m" : "k");
            }
        }
        return Long.toString(bytes);
    }
}
