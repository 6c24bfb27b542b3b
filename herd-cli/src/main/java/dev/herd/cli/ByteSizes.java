package dev.herd.cli;

import dev.herd.Sizes;
import picocli.CommandLine;

/** Sizes as operators write them ({@link Sizes}): {@code 4096}, {@code 512k}, {@code 10m}, {@code 1g}. */
final class ByteSizes implements CommandLine.ITypeConverter<Long> {

    @Override
    public Long convert(String value) {
        try {
            return Sizes.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
