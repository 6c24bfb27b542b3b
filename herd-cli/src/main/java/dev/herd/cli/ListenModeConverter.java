package dev.herd.cli;

import dev.herd.ListenMode;

final class ListenModeConverter extends ParsingConverter<ListenMode> {
    ListenModeConverter() {
        super(ListenMode::parse);
    }
}
