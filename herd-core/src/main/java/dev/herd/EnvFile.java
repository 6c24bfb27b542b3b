package dev.herd;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A dotenv file ({@code --env-file}): {@code NAME=value} per line, as Docker's {@code --env-file}, systemd's
 * {@code EnvironmentFile=} and the dotenv libraries read it. Blank lines and lines starting with {@code #} are skipped,
 * {@code export } in front is allowed, a value in double quotes may hold {@code \n}, {@code \"} and {@code \\} escapes,
 * one in single quotes is taken as it is, an unquoted one ends at {@code " #"} and is trimmed. Whoever can write the
 * file chooses the workers' environment ({@code LD_PRELOAD}, {@code JAVA_TOOL_OPTIONS}), so it is checked like a
 * settings file: a regular file owned by this user or root and writable by nobody else.
 */
final class EnvFile {
    static final int MAX_BYTES = 1 << 20;

    private EnvFile() {
    }

    /** The file's variables in its order (a later line wins). @throws ConfigException naming the file and line */
    static Map<String, String> read(Path path) {
        String name = "env-file: " + path;
        String text;
        try {
            if (Files.isDirectory(path)) {
                throw new ConfigException(name + " is a directory; give a file of NAME=value lines");
            }
            dev.herd.os.PrivatePaths.settingsFile(path, "env-file:");
            if (Files.size(path) > MAX_BYTES) {
                throw new ConfigException(name + " is larger than " + MAX_BYTES / 1024 + " KiB; it should hold variables");
            }
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(path))).toString();
        } catch (NoSuchFileException e) {
            throw new ConfigException(name + ": no such file");
        } catch (CharacterCodingException e) {
            throw new ConfigException(name + ": not UTF-8 text");
        } catch (dev.herd.os.UnsafePathException e) {
            throw new ConfigException(e.getMessage());
        } catch (IOException e) {
            throw new ConfigException(name + ": cannot read it (" + e.getClass().getSimpleName() + " " + e.getMessage() + ")");
        }
        return parse(path.toString(), text);
    }

    static Map<String, String> parse(String file, String text) {
        Map<String, String> env = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = "env-file: " + file + ":" + (i + 1) + ": ";
            if (line.startsWith("export ")) {
                line = line.substring("export ".length()).stripLeading();
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException(where + "'" + abbreviate(line) + "' is not NAME=value");
            }
            String key = line.substring(0, eq).strip();
            if (!ProcessSettings.validName(key)) {
                throw new ConfigException(where + "'" + abbreviate(key) + "' is not a variable name (letters, digits"
                        + " and '_', not starting with a digit)");
            }
            env.put(key, value(line.substring(eq + 1).strip(), where));
        }
        return env;
    }

    private static String value(String raw, String where) {
        if (raw.startsWith("'")) {
            int end = raw.indexOf('\'', 1);
            if (end < 0) {
                throw new ConfigException(where + "the single quote is never closed");
            }
            return trailing(raw, end, where, raw.substring(1, end));
        }
        if (raw.startsWith("\"")) {
            StringBuilder out = new StringBuilder();
            for (int i = 1; i < raw.length(); i++) {
                char c = raw.charAt(i);
                if (c == '"') {
                    return trailing(raw, i, where, out.toString());
                }
                if (c == '\\' && i + 1 < raw.length()) {
                    char next = raw.charAt(++i);
                    out.append(switch (next) {
                        case 'n' -> "\n";
                        case 't' -> "\t";
                        case '"', '\\', '$' -> String.valueOf(next);
                        default -> "\\" + next;
                    });
                } else {
                    out.append(c);
                }
            }
            throw new ConfigException(where + "the double quote is never closed (a value does not continue on the"
                    + " next line; write \\n)");
        }
        int comment = raw.indexOf(" #");
        return (comment >= 0 ? raw.substring(0, comment) : raw).strip();
    }

    /** After a closing quote only a comment may follow. */
    private static String trailing(String raw, int closing, String where, String value) {
        String rest = raw.substring(closing + 1).strip();
        if (!rest.isEmpty() && !rest.startsWith("#")) {
            throw new ConfigException(where + "'" + abbreviate(rest) + "' follows the quoted value; quote the whole value");
        }
        return value;
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
