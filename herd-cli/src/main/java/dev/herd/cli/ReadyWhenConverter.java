package dev.herd.cli;

import dev.herd.ReadyWhen;
import picocli.CommandLine;

final class ReadyWhenConverter implements CommandLine.ITypeConverter<ReadyWhen> {
    @Override
    public ReadyWhen convert(String value) {
        try {
            return ReadyWhen.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
