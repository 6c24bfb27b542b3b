package dev.herd.cli;

import dev.herd.Balance;

final class BalanceConverter extends ParsingConverter<Balance> {
    BalanceConverter() {
        super(Balance::parse);
    }
}
