package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the console offers: the master's commands, its own words, and one short line each for 'help'. */
class HerdConsoleTest {

    @Test
    void theConsoleRunsTheCommandsForAMasterAndNotThoseThatTakeTheTerminalOrWorkOnFiles() {
        Map<String, String> commands = HerdConsole.commands();
        assertThat(commands).containsKeys("status", "workers", "reload", "restart", "logs", "events", "scale", "exec",
                "help", "exit", "quit");
        assertThat(commands).doesNotContainKeys("run", "top", "console", "config", "systemd-unit");
        assertThat(commands.get("exit")).as("the console's exit, not the master's").startsWith("leave the console");
        assertThat(commands.values()).allSatisfy(line -> assertThat(line).isNotBlank().hasSizeLessThanOrEqualTo(72));
    }

    @Test
    void aSummaryIsTheFirstClauseOfTheDescription() {
        assertThat(HerdConsole.summary(new String[] {"Shows a running master's workers: slot, pid.", "More."}))
                .isEqualTo("Shows a running master's workers");
        assertThat(HerdConsole.summary(new String[] {"x".repeat(100)})).hasSize(72).endsWith("...");
    }
}
