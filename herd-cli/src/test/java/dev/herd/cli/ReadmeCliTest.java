package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herd.ClusterSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** What the README's "CLI reference" and "Commands for a running master" tables say, against the real commands. */
class ReadmeCliTest {
    /** Surefire runs in the module's directory. */
    private static final Path README = Path.of("..", "README.md");
    private static final Pattern OPTION = Pattern.compile("--[a-z][a-z-]*");

    /** One row of the CLI reference: its long option and its default as written ({@code `8080`}), null if none. */
    record Row(String option, String defaultValue) {
        @Override
        public String toString() {
            return option + " " + defaultValue;
        }
    }

    static List<String> section(String heading) throws Exception {
        List<String> lines = Files.readAllLines(README);
        int start = lines.indexOf(heading);
        assertThat(start).as("the README has %s", heading).isGreaterThanOrEqualTo(0);
        List<String> rows = new ArrayList<>();
        for (int i = start + 1; i < lines.size() && !lines.get(i).startsWith("#"); i++) {
            if (lines.get(i).startsWith("| `")) {
                rows.add(lines.get(i));
            }
        }
        return rows;
    }

    static Stream<Row> cliReference() throws Exception {
        List<Row> rows = new ArrayList<>();
        for (String line : section("## CLI reference")) {
            String[] cells = line.split(" \\| ");
            Matcher option = OPTION.matcher(cells[0]);
            assertThat(option.find()).as(line).isTrue();
            String given = cells[1].strip();
            rows.add(new Row(option.group(), given.startsWith("`") ? given.substring(1, given.indexOf('`', 1)) : null));
        }
        return rows.stream();
    }

    @Test
    void theCliReferenceListsEveryOptionOfHerdRunAndNoOther() throws Exception {
        CommandLine run = HerdCommand.commandLine(CommandLine.defaultFactory()).getSubcommands().get("run");
        Set<String> options = new TreeSet<>();
        run.getCommandSpec().options().forEach(option -> options.add(option.longestName()));
        options.removeAll(Set.of("--help", "--version"));
        Set<String> documented = new TreeSet<>();
        cliReference().forEach(row -> documented.add(row.option()));
        assertThat(documented).isEqualTo(options);
    }

    /** Defaults that are not a value one could pass (a rule, or a place that depends on other settings). */
    private static final Set<String> DESCRIBED_DEFAULTS = Set.of("--state-dir", "--log-dir", "--access-key-file");

    /** Passing an option its documented default changes nothing: the README's defaults are the real ones. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cliReference")
    void theDocumentedDefaultGivenExplicitlyRunsTheSameSpecAsNoOption(Row row) {
        org.junit.jupiter.api.Assumptions.assumeTrue(row.defaultValue() != null && !DESCRIBED_DEFAULTS.contains(row.option()),
                "no default value to pass");
        assertThat(Cli.spec(row.option(), row.defaultValue(), "--", "/bin/server")).isEqualTo(Cli.spec("--", "/bin/server"));
    }

    @Test
    void theDefaultStateDirIsTheDocumentedOneAndTheLogsAreInIt() {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        Path expected = runtime != null && !runtime.isBlank()
                ? Path.of(runtime, "herd", "8080")
                : Path.of("/tmp", "herd-" + System.getProperty("user.name"), "8080");
        ClusterSpec spec = Cli.spec("--", "/bin/server");
        assertThat(spec.stateDir()).isEqualTo(expected);
        assertThat(spec.logDir()).isEqualTo(expected.resolve("logs"));
        assertThat(Cli.spec("--port", "9000", "--", "/bin/server").stateDir()).isEqualTo(expected.resolveSibling("9000"));
    }

    @Test
    void everyCommandForARunningMasterInTheReadmeExistsAndEveryOneIsThere() throws Exception {
        Set<String> documented = new TreeSet<>();
        for (String line : section("### Commands for a running master")) {
            Matcher command = Pattern.compile("^\\| `herd ([a-z-]+)").matcher(line);
            assertThat(command.find()).as(line).isTrue();
            documented.add(command.group(1));
        }
        Set<String> commands = new TreeSet<>(HerdCommand.commandLine(CommandLine.defaultFactory()).getSubcommands().keySet());
        commands.removeAll(Set.of("run", "help", "config", "systemd-unit")); // these work on files, not on a master
        assertThat(documented).isEqualTo(commands);
        assertThat(Files.readString(README)).contains("herd config check herd.yaml", "herd config init herd.yaml");
    }
}
