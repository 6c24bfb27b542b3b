package dev.herd.cli;

import picocli.CommandLine;

import java.util.function.Function;

/**
 * Adapts a setting's own parse method (which throws IllegalArgumentException with a message naming the accepted
 * values) to picocli, so that message becomes the one-line usage error.
 */
final class ParsingConverter<T> implements CommandLine.ITypeConverter<T> {
    private final Function<String, T> parse;

    ParsingConverter(Function<String, T> parse) {
        this.parse = parse;
    }

    @Override
    public T convert(String value) {
        try {
            return parse.apply(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
