package dev.herd.control;

import dev.herd.ApiSpec;
import dev.herd.StartupException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

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
            if (!Files.exists(file)) {
                byte[] random = new byte[32];
                new SecureRandom().nextBytes(random);
                try {
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                    Files.writeString(file, HexFormat.of().formatHex(random) + "\n", StandardCharsets.US_ASCII);
                } catch (FileAlreadyExistsException e) {
                    // another master made it at the same moment: use theirs
                }
            }
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (mode.contains(PosixFilePermission.GROUP_READ) || mode.contains(PosixFilePermission.OTHERS_READ)) {
                throw new StartupException(StartupException.SETUP, "access key file " + file + " is readable by others ("
                        + PosixFilePermissions.toString(mode) + "); chmod 600 it or delete it to have a new key generated");
            }
            String key = Files.readString(file, StandardCharsets.US_ASCII).trim();
            if (key.length() < ApiSpec.MIN_KEY_LENGTH || !key.chars().allMatch(c -> c > ' ' && c < 127)) {
                throw new StartupException(StartupException.SETUP, "access key file " + file + " does not hold a key of at least "
                        + ApiSpec.MIN_KEY_LENGTH + " printable characters; delete it to have a new one generated");
            }
            return new AccessKey(key);
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

    /** The key itself, for the CLI that reads it from the state dir. */
    public static String read(Path stateDir) throws IOException {
        return Files.readString(stateDir.resolve(FILE_NAME), StandardCharsets.US_ASCII).trim();
    }
}
