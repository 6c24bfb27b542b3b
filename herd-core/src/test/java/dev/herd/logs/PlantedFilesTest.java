package dev.herd.logs;

import static dev.herd.logs.Spools.append;
import static dev.herd.logs.Spools.joined;
import static dev.herd.logs.Spools.lines;
import static dev.herd.logs.Spools.log;
import static dev.herd.logs.Spools.numbered;
import static dev.herd.logs.Spools.rotated;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README: "The master never follows a symbolic link in the log directory: a link (or FIFO, device) found at
 * worker-SLOT.log, a rotated name or a spool is removed, never its target, ... and a new file is created
 * (O_NOFOLLOW, O_EXCL); herd logs and GET /logs skip such a file." Links made by this same user: no root needed.
 */
class PlantedFilesTest {
    @TempDir
    Path logDir;
    private Path outside;

    @BeforeEach
    void outsideFile() throws Exception {
        outside = Files.writeString(logDir.resolveSibling(logDir.getFileName() + "-outside.txt"), "secret\n");
    }

    @AfterEach
    void removeOutside() throws Exception {
        Files.deleteIfExists(outside);
    }

    private void assertOutsideUntouched() throws Exception {
        assertThat(Files.readString(outside)).isEqualTo("secret\n");
        assertThat(Files.isRegularFile(outside, LinkOption.NOFOLLOW_LINKS)).isTrue();
    }

    @Test
    void aLinkPlantedAtTheSpoolIsReplacedBeforeAWorkerOpensItAndItsTargetLeftAlone() throws Exception {
        Path spool = WorkerLogs.spoolFor(logDir, 0);
        Files.createDirectories(spool.getParent());
        Files.createSymbolicLink(spool, outside);
        WorkerLogs.prepareSpool(spool);
        assertThat(Files.isRegularFile(spool, LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.size(spool)).isZero();
        assertOutsideUntouched();
    }

    @Test
    void aLinkPlantedAtTheSpoolOfARunningSlotIsNotCopiedFrom() throws Exception {
        Path spool = WorkerLogs.spoolFor(logDir, 0);
        Files.createDirectories(spool.getParent());
        Files.createSymbolicLink(spool, outside);
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000, 2)) {
            logs.pollAll(false);
            assertThat(Files.isSymbolicLink(spool)).isFalse();
            append(logDir, 0, "mine\n");
            logs.pollAll(false);
            assertThat(lines(log(logDir, 0))).containsExactly("mine");
        }
        assertOutsideUntouched();
    }

    @Test
    void anOffsetPlantedAsALinkIsNotBelievedAndNotWrittenThrough() throws Exception {
        Path spool = WorkerLogs.spoolFor(logDir, 0);
        Files.createDirectories(spool.getParent());
        Path offset = spool.resolveSibling("worker-0.out.offset");
        Path offsetTarget = Files.writeString(logDir.resolveSibling(logDir.getFileName() + "-offset.txt"), "4");
        try {
            Files.createSymbolicLink(offset, offsetTarget);
            Files.createSymbolicLink(spool.resolveSibling("worker-0.out.offset.tmp"), outside);
            append(logDir, 0, "one\ntwo\n");
            try (SlotLog slot = new SlotLog(0, spool, logDir, 10_000, 2, new SlotLog.Scratch())) {
                slot.poll(line -> { }, false);
            }
            assertThat(lines(log(logDir, 0))).as("read from the start: the link's '4' is not believed").containsExactly("one", "two");
            assertThat(Files.isRegularFile(offset, LinkOption.NOFOLLOW_LINKS)).isTrue();
            assertThat(Files.readString(offset)).isEqualTo("8");
            assertThat(Files.readString(offsetTarget)).isEqualTo("4");
            assertOutsideUntouched();
        } finally {
            Files.deleteIfExists(offsetTarget);
        }
    }

    @Test
    void linksPlantedAtTheRotatedNamesAreMovedOrRemovedNeverWrittenThrough() throws Exception {
        for (int i = 1; i <= 3; i++) {
            Files.createSymbolicLink(rotated(logDir, 0, i), outside);
        }
        try (WorkerLogs logs = new WorkerLogs(logDir, 100, 2)) {
            append(logDir, 0, joined(numbered("r", 40, 10)));
            logs.pollAll(false);
            assertThat(logs.tail(0, 1000)).isEqualTo(numbered("r", 40, 10).subList(10, 40));
        }
        assertThat(lines(rotated(logDir, 0, 2))).isEqualTo(numbered("r", 40, 10).subList(10, 20));
        assertThat(lines(rotated(logDir, 0, 1))).isEqualTo(numbered("r", 40, 10).subList(20, 30));
        assertThat(Files.isRegularFile(rotated(logDir, 0, 1), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.isRegularFile(rotated(logDir, 0, 2), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertOutsideUntouched();
    }

    @Test
    void aLinkSwappedInForTheLogAfterItWasOpenedIsNotServedByTheTail() throws Exception {
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000, 2)) {
            append(logDir, 0, "mine\n");
            logs.pollAll(false);
            Files.delete(log(logDir, 0));
            Files.createSymbolicLink(log(logDir, 0), outside);
            assertThat(logs.tail(0, 10)).isEmpty();
        }
        assertOutsideUntouched();
    }

    @Test
    void aFifoPlantedAtTheLogIsReplacedByAFileRatherThanOpened() throws Throwable {
        mkfifo(log(logDir, 0));
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000, 2)) {
            append(logDir, 0, "mine\n");
            logs.pollAll(false); // opening the FIFO for writing would wait for a reader forever
        }
        assertThat(Files.isRegularFile(log(logDir, 0), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(lines(log(logDir, 0))).containsExactly("mine");
    }

    /** A directory is not removed (it may hold anything): the slot is failing, naming it, and its lines wait. */
    @Test
    void aDirectoryAtTheLogNameMakesTheSlotFailingUntilItIsGoneAndNoLineIsLost() throws Exception {
        Files.createDirectory(log(logDir, 0));
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000, 2)) {
            append(logDir, 0, "waited\n");
            logs.pollAll(false);
            assertThat(logs.failing()).containsOnlyKeys(0);
            assertThat(logs.failing().get(0)).contains(log(logDir, 0).toString(), "is a directory");
            logs.pollAll(false);
            Files.delete(log(logDir, 0));
            append(logDir, 0, "later\n");
            logs.pollAll(false);
            assertThat(logs.failing()).isEmpty();
        }
        assertThat(lines(log(logDir, 0))).containsExactly("waited", "later");
    }

    @SuppressWarnings("restricted") // a downcall to mkfifo(3): the JDK cannot make a FIFO
    private static void mkfifo(Path path) throws Throwable {
        MethodHandle mkfifo = Linker.nativeLinker().downcallHandle(
                Linker.nativeLinker().defaultLookup().find("mkfifo").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            int result = (int) mkfifo.invokeExact(arena.allocateFrom(path.toString()), 0600);
            assertThat(result).as("mkfifo %s", path).isZero();
        }
        assertThat(Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.isDirectory(path)).isFalse();
    }
}
