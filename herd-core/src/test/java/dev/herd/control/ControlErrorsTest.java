package dev.herd.control;

import dev.herd.Access;
import dev.herd.command.CommandException;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/** The one mapping of failures to statuses, shared by the HTTP API and the local socket. */
class ControlErrorsTest {
    @Test
    void eachFailureHasItsStatus() {
        CommandTable table = new CommandTable();
        CommandDef stop = new CommandDef("stop", Access.LOCAL, false, "stop", "s", r -> null);
        table.add(stop);
        assertThat(ControlErrors.of(ControlException.unknownCommand("x", table), "x", "test").status()).isEqualTo(404);
        assertThat(ControlErrors.of(ControlException.notAllowed(stop, Access.REMOTE), "stop", "test").status()).isEqualTo(403);
        assertThat(ControlErrors.of(new CompletionException(new CommandException("no")), "x", "test"))
                .isEqualTo(new ControlErrors(400, "no"));
        assertThat(ControlErrors.of(new CommandException("no"), "x", "test")).isEqualTo(new ControlErrors(400, "no"));
        assertThat(ControlErrors.of(new IllegalArgumentException("bad"), "x", "test")).isEqualTo(new ControlErrors(400, "bad"));
        assertThat(ControlErrors.of(new CompletionException(new IllegalStateException("kaput")), "x", "test"))
                .isEqualTo(new ControlErrors(500, "internal error: java.lang.IllegalStateException: kaput"));
    }
}
