package dev.herd.os;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PrivatePathsTest {
    @TempDir
    Path tmp;

    @Test
    void missingDirectoriesAreCreatedPrivate() throws Exception {
        Path dir = tmp.resolve("a/b/c");
        PrivatePaths.directory(dir, "state-dir");
        for (Path made : new Path[]{tmp.resolve("a"), tmp.resolve("a/b"), dir}) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(made))).isEqualTo("rwx------");
        }
        PrivatePaths.directory(dir, "state-dir"); // an existing private directory is fine
    }

    @Test
    void aStickyWorldWritableDirectoryAboveIsFineButAPlainOneIsNot() throws Exception {
        Path sticky = Files.createDirectory(tmp.resolve("sticky"));
        Files.setAttribute(sticky, "unix:mode", 01777);
        PrivatePaths.directory(sticky.resolve("mine"), "state-dir");

        Path open = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxr-x"));
        assertThatThrownBy(() -> PrivatePaths.directory(open.resolve("mine"), "log-dir"))
                .isInstanceOf(UnsafePathException.class)
                .hasMessage("log-dir: " + open + " (above the directory Herd uses) is writable by others and not sticky"
                        + " (mode 0775); they could replace what Herd keeps below it: choose a path under a directory"
                        + " only you or root can write");
        assertThat(open.resolve("mine")).doesNotExist();
    }

    @Test
    void aLinkAboveOwnedByYouIsFollowedAndWhereItLeadsIsChecked() throws Exception {
        Path real = Files.createDirectory(tmp.resolve("real"));
        Files.createSymbolicLink(tmp.resolve("link"), real);
        PrivatePaths.directory(tmp.resolve("link/state"), "state-dir");
        assertThat(real.resolve("state")).isDirectory();

        Files.setPosixFilePermissions(real, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> PrivatePaths.directory(tmp.resolve("link/other"), "state-dir"))
                .hasMessageContaining(real + " (above the directory Herd uses) is writable by others and not sticky");
    }

    @Test
    void aLinkAboveOwnedBySomeoneElseIsRefused() throws Exception {
        Path real = Files.createDirectory(tmp.resolve("real"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
        Files.setAttribute(link, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);
        assertThatThrownBy(() -> PrivatePaths.directory(link.resolve("state"), "state-dir"))
                .hasMessage("state-dir: " + link + " is a symbolic link owned by uid 65534, neither root nor you;"
                        + " choose a path no other user controls");
    }

    @Test
    void aSecretMustBeAPlainFileOfYoursForNobodyElse() throws Exception {
        Path key = Files.writeString(tmp.resolve("key"), "k\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        assertThat(PrivatePaths.readSecret(key, "key")).isEqualTo("k\n");

        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw----r--"));
        assertThatThrownBy(() -> PrivatePaths.readSecret(key, "key")).hasMessage("key " + key
                + " is open to others (mode 0604); chmod 600 " + key);

        Path link = Files.createSymbolicLink(tmp.resolve("link"), key);
        assertThatThrownBy(() -> PrivatePaths.readSecret(link, "key")).hasMessageContaining("is a symbolic link");
    }
}
