package dev.herd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The dotenv form {@code --env-file} reads. */
class EnvFileTest {
    @Test
    void readsCommentsExportQuotesAndEscapes() {
        Map<String, String> env = EnvFile.parse("app.env", """
                # a comment

                PLAIN=some value   # trailing comment
                export EXPORTED=yes
                SINGLE='kept $as # is'
                DOUBLE="line one\\nline \\"two\\""
                EMPTY=
                URL=http://host/#fragment
                PLAIN=later wins
                """);
        assertThat(env).containsExactly(
                Map.entry("PLAIN", "later wins"), Map.entry("EXPORTED", "yes"), Map.entry("SINGLE", "kept $as # is"),
                Map.entry("DOUBLE", "line one\nline \"two\""), Map.entry("EMPTY", ""),
                Map.entry("URL", "http://host/#fragment"));
    }

    @Test
    void eachMistakeNamesTheFileAndLine() {
        assertThatThrownBy(() -> EnvFile.parse("app.env", "A=1\njust words\n"))
                .hasMessage("env-file: app.env:2: 'just words' is not NAME=value");
        assertThatThrownBy(() -> EnvFile.parse("app.env", "1A=1\n"))
                .hasMessageStartingWith("env-file: app.env:1: '1A' is not a variable name");
        assertThatThrownBy(() -> EnvFile.parse("app.env", "A=\"open\n"))
                .hasMessageStartingWith("env-file: app.env:1: the double quote is never closed");
        assertThatThrownBy(() -> EnvFile.parse("app.env", "A='x' y\n"))
                .hasMessage("env-file: app.env:1: 'y' follows the quoted value; quote the whole value");
    }

    @Test
    void umasksAreOctal() {
        assertThat(ProcessSettings.parseUmask("027")).isEqualTo(027);
        assertThat(ProcessSettings.parseUmask("0077")).isEqualTo(077);
        assertThatThrownBy(() -> ProcessSettings.parseUmask("8")).hasMessageStartingWith("'8' is not a umask");
        assertThatThrownBy(() -> ProcessSettings.parseUmask("01000")).hasMessageStartingWith("'01000' is not a umask");
    }
}
