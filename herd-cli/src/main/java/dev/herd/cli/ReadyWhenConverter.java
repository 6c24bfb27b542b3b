package dev.herd.cli;

import dev.herd.ReadyWhen;

final class ReadyWhenConverter extends ParsingConverter<ReadyWhen> {
    ReadyWhenConverter() {
        super(ReadyWhen::parse);
    }
}
