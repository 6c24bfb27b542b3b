package dev.herd.cli;

import picocli.CommandLine;

/** {@code --workers N|auto}: auto is the number of available processors. */
final class WorkerCount implements CommandLine.ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
        if (value.equalsIgnoreCase("auto")) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            return Integer.valueOf(value.trim());
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a number of workers; use a whole number or 'auto'");
        }
    }
}
