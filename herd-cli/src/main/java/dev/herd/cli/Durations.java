package dev.herd.cli;

import picocli.CommandLine;

import java.time.Duration;

/** picocli's converter for duration flags ({@link dev.herd.Durations}: 500ms, 30s, 2m, 1h; a bare number is seconds). */
final class Durations implements CommandLine.ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        try {
            return dev.herd.Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
