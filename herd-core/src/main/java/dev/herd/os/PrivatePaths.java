package dev.herd.os;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * The directories and files Herd keeps its state, sockets, keys and logs in. Another user who can write to
 * one of them, or to a directory above it, can swap what the master reads (an access key of theirs) or make it
 * write where they choose (a symlink planted where a log goes). So every directory Herd uses must belong to the
 * master's user and be writable by nobody else, and no symlink is followed at its place; a directory above it
 * must belong to root or that user and be writable by nobody else unless it is sticky, like {@code /tmp},
 * where no one can rename or remove what is not theirs. This is the rule OpenSSH's StrictModes and tmux's
 * socket directory apply.
 */
public final class PrivatePaths {
    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;
    private static final int S_IFREG = 0100000;
    private static final int S_ISVTX = 01000;
    private static final int GROUP_OTHER_WRITE = 0022;
    private static final int GROUP_OTHER_ANY = 0077;
    private static final int MAX_SECRET_BYTES = 4096;

    private PrivatePaths() {
    }

    /** The user the master runs as (the owner of every file it creates). */
    public static int effectiveUid() {
        return Libc.geteuid();
    }

    /**
     * Makes sure {@code dir} exists and is private to this user: missing parts are created with mode 0700 and
     * checked again after creation (someone may have raced to create them); existing ones are checked.
     *
     * @param setting the flag or file the path came from, named in the error
     * @throws UnsafePathException naming the path, what is wrong with it and what to do
     */
    public static void directory(Path dir, String setting) {
        Path target = dir.toAbsolutePath().normalize();
        int uid = effectiveUid();
        Path current = target.getRoot();
        for (Path name : target) {
            Path next = current.resolve(name);
            boolean last = next.equals(target);
            Attributes attributes = Attributes.of(next);
            if (attributes == null) {
                create(next, setting);
                attributes = Attributes.of(next);
                if (attributes == null) {
                    throw new UnsafePathException(setting + ": " + next + " vanished right after Herd created it;"
                            + " something else is changing this directory, choose another path");
                }
            }
            if (attributes.isLink()) {
                if (last) {
                    throw new UnsafePathException(setting + ": " + next + " is a symbolic link; Herd does not follow"
                            + " links at its own directories (one could lead its writes elsewhere): use the real path, "
                            + readLinkTarget(next));
                }
                if (attributes.uid != 0 && attributes.uid != uid) {
                    throw new UnsafePathException(setting + ": " + next + " is a symbolic link owned by uid "
                            + attributes.uid + ", neither root nor you; choose a path no other user controls");
                }
                current = resolveTrusted(next, setting, uid);
                continue;
            }
            if (!attributes.isDirectory()) {
                throw new UnsafePathException(setting + ": " + next + " is not a directory; choose another path");
            }
            if (last) {
                checkOwn(next, attributes, setting, uid);
            } else {
                checkAbove(next, attributes, setting, uid);
            }
            current = next;
        }
    }

    /**
     * Checks a secret file (an access key): a regular file, not a link, owned by this user, readable and
     * writable by nobody else.
     *
     * @throws UnsafePathException naming the file and the fix; {@link NoSuchFileException} passes through
     */
    public static void secretFile(Path file, String what) throws IOException {
        Attributes attributes = Attributes.of(file);
        if (attributes == null) {
            throw new NoSuchFileException(file.toString());
        }
        if (attributes.isLink()) {
            throw new UnsafePathException(what + " " + file + " is a symbolic link; Herd reads secrets only from"
                    + " regular files: point at the real file, " + readLinkTarget(file));
        }
        if ((attributes.mode & S_IFMT) != S_IFREG) {
            throw new UnsafePathException(what + " " + file + " is not a regular file");
        }
        if (attributes.uid != effectiveUid()) {
            throw new UnsafePathException(what + " " + file + " is owned by uid " + attributes.uid + ", not by you (uid "
                    + effectiveUid() + "): another user could choose the key; chown it or use a file of yours");
        }
        if ((attributes.mode & GROUP_OTHER_ANY) != 0) {
            throw new UnsafePathException(what + " " + file + " is open to others (mode " + octal(attributes.mode)
                    + "); chmod 600 " + file);
        }
    }

    /**
     * Checks a settings file (herd run's --config): whatever a link leads to must be a regular file owned by this
     * user or root and writable by nobody else, since whoever can write it chooses the command the master runs.
     *
     * @throws UnsafePathException naming the file and the fix; {@link NoSuchFileException} passes through
     */
    public static void settingsFile(Path file, String what) throws IOException {
        Map<String, Object> values = Files.readAttributes(file, "unix:mode,uid"); // through links: the file read
        int mode = (Integer) values.get("mode");
        int uid = (Integer) values.get("uid");
        if ((mode & S_IFMT) != S_IFREG) {
            throw new UnsafePathException(what + " " + file + " is not a regular file");
        }
        if (uid != effectiveUid() && uid != 0) {
            throw new UnsafePathException(what + " " + file + " is owned by uid " + uid + ", neither you (uid "
                    + effectiveUid() + ") nor root: its owner could choose the command Herd runs; chown it");
        }
        if ((mode & GROUP_OTHER_WRITE) != 0) {
            throw new UnsafePathException(what + " " + file + " is writable by others (mode " + octal(mode)
                    + "): anyone who can write it chooses the command Herd runs; chmod go-w " + file);
        }
    }

    /** Reads a secret file after {@link #secretFile} found it safe, never through a link. */
    public static String readSecret(Path file, String what) throws IOException {
        secretFile(file, what);
        try (var channel = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            if (channel.size() > MAX_SECRET_BYTES) {
                throw new UnsafePathException(what + " " + file + " is larger than " + MAX_SECRET_BYTES
                        + " bytes; it should hold one key");
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) channel.size());
            while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                // read it whole
            }
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
        }
    }

    private static void create(Path dir, String setting) {
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            // made by someone else at the same moment: the checks that follow decide whether it can be used
        } catch (IOException e) {
            throw new UnsafePathException(setting + ": cannot create directory " + dir + ": "
                    + e.getClass().getSimpleName() + " " + e.getMessage() + "; choose a path you can write to", e);
        }
    }

    /** A directory Herd keeps its own files in: this user's alone to write. */
    private static void checkOwn(Path dir, Attributes attributes, String setting, int uid) {
        if (attributes.uid != uid) {
            throw new UnsafePathException(setting + ": " + dir + " is owned by uid " + attributes.uid + ", not by you (uid "
                    + uid + "); another user could swap the files Herd keeps there: remove it, or choose another path");
        }
        if ((attributes.mode & GROUP_OTHER_WRITE) != 0) {
            throw new UnsafePathException(setting + ": " + dir + " is writable by others (mode " + octal(attributes.mode)
                    + "); chmod 700 " + dir + " or choose another path");
        }
    }

    /** A directory above: owned by root or this user, and nobody else may rename what is in it. */
    private static void checkAbove(Path dir, Attributes attributes, String setting, int uid) {
        if (attributes.uid != 0 && attributes.uid != uid) {
            throw new UnsafePathException(setting + ": " + dir + " (above the directory Herd uses) is owned by uid "
                    + attributes.uid + ", neither root nor you; that user could replace what Herd keeps below it:"
                    + " choose a path no other user controls");
        }
        if ((attributes.mode & GROUP_OTHER_WRITE) != 0 && (attributes.mode & S_ISVTX) == 0) {
            throw new UnsafePathException(setting + ": " + dir + " (above the directory Herd uses) is writable by others"
                    + " and not sticky (mode " + octal(attributes.mode) + "); they could replace what Herd keeps below"
                    + " it: choose a path under a directory only you or root can write");
        }
    }

    /** Follows a trusted link and checks every directory of where it leads, as directories above. */
    private static Path resolveTrusted(Path link, String setting, int uid) {
        Path real;
        try {
            real = link.toRealPath();
        } catch (IOException e) {
            throw new UnsafePathException(setting + ": cannot follow " + link + ": " + e.getMessage() + "; choose another path", e);
        }
        Path current = real.getRoot();
        for (Path name : real) {
            current = current.resolve(name);
            Attributes attributes = Attributes.of(current);
            if (attributes == null || !attributes.isDirectory()) {
                throw new UnsafePathException(setting + ": " + link + " leads to " + real + ", which is not a directory");
            }
            checkAbove(current, attributes, setting, uid);
        }
        return real;
    }

    private static String readLinkTarget(Path link) {
        try {
            return "it leads to " + Files.readSymbolicLink(link);
        } catch (IOException e) {
            return "or remove it";
        }
    }

    private static String octal(int mode) {
        return String.format("%04o", mode & 07777);
    }

    /** What lstat(2) says: the link itself, never where it leads. */
    private record Attributes(int mode, int uid) {
        static Attributes of(Path path) {
            try {
                Map<String, Object> values = Files.readAttributes(path, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
                return new Attributes((Integer) values.get("mode"), (Integer) values.get("uid"));
            } catch (NoSuchFileException e) {
                return null;
            } catch (IOException e) {
                throw new UnsafePathException("cannot inspect " + path + ": " + e.getClass().getSimpleName() + " "
                        + e.getMessage(), e);
            }
        }

        boolean isLink() {
            return (mode & S_IFMT) == S_IFLNK;
        }

        boolean isDirectory() {
            return (mode & S_IFMT) == S_IFDIR;
        }
    }
}
