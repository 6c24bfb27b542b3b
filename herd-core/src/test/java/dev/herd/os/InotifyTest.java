package dev.herd.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InotifyTest {
    @TempDir
    Path dir;

    @Test
    void readableOnACreateOrAWriteUntilDrained() throws Exception {
        try (Inotify watch = Inotify.watch(dir, Inotify.IN_CREATE | Inotify.IN_MODIFY)) {
            assertThat(Poller.awaitReadable(new int[] {watch.fd()}, 0)[0]).as("nothing yet").isFalse();
            Path file = dir.resolve("a.out");
            Files.writeString(file, "one\n");
            assertThat(Poller.awaitReadable(new int[] {watch.fd()}, 5000)[0]).isTrue();
            assertThat(watch.drain()).isTrue();
            assertThat(Poller.awaitReadable(new int[] {watch.fd()}, 0)[0]).as("drained").isFalse();
            Files.writeString(file, "two\n", StandardOpenOption.APPEND);
            assertThat(Poller.awaitReadable(new int[] {watch.fd()}, 5000)[0]).isTrue();
            assertThat(watch.drain()).isTrue();
        }
    }

    @Test
    void manyEventsAreDrainedInOneCall() throws Exception {
        try (Inotify watch = Inotify.watch(dir, Inotify.IN_CREATE | Inotify.IN_MODIFY)) {
            for (int i = 0; i < 500; i++) {
                Files.writeString(dir.resolve("file-with-a-longish-name-" + i), "x");
            }
            assertThat(watch.drain()).isTrue();
            assertThat(Poller.awaitReadable(new int[] {watch.fd()}, 0)[0]).isFalse();
        }
    }

    @Test
    void aDeletedDirectoryEndsTheWatch() throws Exception {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        try (Inotify watch = Inotify.watch(sub, Inotify.IN_CREATE)) {
            Files.delete(sub);
            assertThat(Poller.awaitReadable(new int[] {watch.fd()}, 5000)[0]).isTrue();
            assertThat(watch.drain()).isFalse();
        }
    }

    @Test
    void aMissingDirectoryIsRefused() {
        assertThatThrownBy(() -> Inotify.watch(dir.resolve("missing"), Inotify.IN_CREATE))
                .isInstanceOf(NativeException.class).hasMessageContaining("inotify_add_watch");
    }
}
