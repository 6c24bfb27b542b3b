package dev.herd.cli;

import dev.herd.ProxyHeader;

final class ProxyHeaderConverter extends ParsingConverter<ProxyHeader> {
    ProxyHeaderConverter() {
        super(ProxyHeader::parse);
    }
}
