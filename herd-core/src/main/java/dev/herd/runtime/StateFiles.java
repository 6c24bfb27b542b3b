package dev.herd.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Files in the state dir that another master reads after a crash of this one ({@code cluster.json},
 * {@code master.pid}, worker records): each is replaced whole, so a reader never sees half of one.
 */
final class StateFiles {
    private StateFiles() {
    }

    /**
     * Writes {@code text} to a new {@code .NAME.tmp} beside the file (never through a link) and renames it over the
     * file in one step.
     */
    static void replace(Path file, String text) throws IOException {
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        Files.writeString(temp, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
