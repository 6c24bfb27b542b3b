package dev.herd.logs;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;

/**
 * Opens the files inside the log directory without ever following a symbolic link (O_NOFOLLOW, and O_EXCL for a
 * new file): whoever plants a link at {@code worker-0.log}, a rotated name or a spool must not get worker output
 * appended to the link's target, or the target served as a log. A link or other non-regular file found at such a
 * name is removed (the link, never its target) and a new regular file created in its place, with a warning that
 * names the path.
 */
final class LogFiles {
    private static final Logger log = LoggerFactory.getLogger(LogFiles.class);

    private LogFiles() {}

    /** Opens {@code path} for appending, replacing a link or special file there by a new empty regular file. */
    static FileChannel openAppend(Path path) throws IOException {
        ensureRegular(path);
        return FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS);
    }

    /** Opens {@code path} for reading and writing, replacing a link or special file there by a new empty regular file. */
    static FileChannel openReadWrite(Path path) throws IOException {
        ensureRegular(path);
        return FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Opens an existing regular file for reading; null when there is none. A link there is refused (and logged),
     * never followed: its target is not a log.
     */
    static FileChannel openRead(Path path) throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (!attributes.isRegularFile()) {
            log.warn("event=logs.unsafe_file path={} kind={} action=skipped reason=\"not a regular file; a log is never read through a link\"",
                    path, kind(attributes));
            return null;
        }
        return FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    }

    /** Creates or replaces {@code path} with {@code content}, never writing through a link planted there. */
    static void writeNew(Path path, String content) throws IOException {
        Files.deleteIfExists(path); // removes a link itself, not its target
        try (FileChannel out = FileChannel.open(path, Set.<OpenOption>of(StandardOpenOption.WRITE,
                StandardOpenOption.CREATE_NEW, LinkOption.NOFOLLOW_LINKS))) {
            out.write(java.nio.ByteBuffer.wrap(content.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        } catch (IOException e) {
            Files.deleteIfExists(path); // a half-written file helps no one, and on a full disk its blocks are wanted
            throw e;
        }
    }

    /** Reads a small file whole, refusing a link. */
    static String read(Path path) throws IOException {
        try (FileChannel in = FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate((int) Math.min(in.size(), 4096));
            while (buffer.hasRemaining() && in.read(buffer) > 0) {
                // small file: read it all
            }
            return new String(buffer.array(), 0, buffer.position(), java.nio.charset.StandardCharsets.US_ASCII);
        }
    }

    /**
     * Makes sure a regular file is at {@code path}: creates it (O_EXCL) when missing; removes a link, FIFO, socket
     * or device found there (logged with the path) and creates a new one. A directory there is refused.
     */
    static void ensureRegular(Path path) throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            createNew(path);
            return;
        }
        if (attributes.isRegularFile()) {
            return;
        }
        if (attributes.isDirectory()) {
            throw new IOException(path + " is a directory, not a log file; remove it so that Herd can create the log there");
        }
        String target = attributes.isSymbolicLink() ? String.valueOf(Files.readSymbolicLink(path)) : "";
        log.warn("event=logs.unsafe_file path={} kind={} target=\"{}\" action=replaced reason=\"a log file must be a regular file of its own; the {} was removed and a new file created\"",
                path, kind(attributes), target, kind(attributes));
        Files.delete(path);
        createNew(path);
    }

    private static void createNew(Path path) throws IOException {
        try {
            FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW, LinkOption.NOFOLLOW_LINKS).close();
        } catch (FileAlreadyExistsException e) {
            // created meanwhile (a worker's spawn creates its spool): the O_NOFOLLOW open that follows checks it
        }
    }

    private static String kind(BasicFileAttributes attributes) {
        return attributes.isSymbolicLink() ? "symlink" : attributes.isDirectory() ? "directory"
                : attributes.isOther() ? "special-file" : "file";
    }
}
