package dev.herd.control;

import dev.herd.ApiSpec;
import dev.herd.StartupException;
import dev.herd.os.PrivatePaths;
import dev.herd.os.UnsafePathException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The secret HTTP callers present ({@code Authorization: Bearer KEY}). Given by the operator, or kept in
 * {@code STATE-DIR/access.key} (mode 0600): read when it is there, generated (32 random bytes, hex) when not, so a
 * restarted master keeps the key its callers know.
 */
public final class AccessKey {
    public static final String FILE_NAME = "access.key";

    private final byte[] key;

    private AccessKey(String key) {
        this.key = key.getBytes(StandardCharsets.US_ASCII);
    }

    /** The given key, else the state dir's, generated into it when missing. */
    public static AccessKey load(String given, Path stateDir) {
        if (given != null) {
            return new AccessKey(given);
        }
        Path file = stateDir.resolve(FILE_NAME);
        try {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                byte[] random = new byte[32];
                new SecureRandom().nextBytes(random);
                try {
                    // O_CREAT|O_EXCL: never through a link planted at the name
                    Files.writeString(file, HexFormat.of().formatHex(random) + "\n", StandardCharsets.US_ASCII,
                            StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                } catch (FileAlreadyExistsException e) {
                    // another master made it at the same moment: use theirs
                }
            }
            String key = PrivatePaths.readSecret(file, "access key file").trim();
            if (key.length() < ApiSpec.MIN_KEY_LENGTH || !key.chars().allMatch(c -> c > ' ' && c < 127)) {
                throw new StartupException(StartupException.SETUP, "access key file " + file + " does not hold a key of at least "
                        + ApiSpec.MIN_KEY_LENGTH + " printable characters; delete it to have a new one generated");
            }
            return new AccessKey(key);
        } catch (UnsafePathException e) {
            throw new StartupException(StartupException.SETUP, e.getMessage() + " (or delete it to have a new key generated)", e);
        } catch (IOException e) {
            throw new StartupException(StartupException.SETUP, "cannot read or create the access key " + file + ": "
                    + e.getMessage() + "; choose a writable --state-dir or pass --access-key-file", e);
        }
    }

    /** Constant-time comparison: how long it takes says nothing about how much of the key was right. */
    public boolean matches(String presented) {
        if (presented == null) {
            return false;
        }
        return MessageDigest.isEqual(key, presented.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The key itself, for the CLI that reads it from the state dir to present it to that master: a client, so it
     * does not insist on owning the file (root may call a user's master).
     */
    public static String read(Path stateDir) throws IOException {
        return Files.readString(stateDir.resolve(FILE_NAME), StandardCharsets.US_ASCII).trim();
    }
}
