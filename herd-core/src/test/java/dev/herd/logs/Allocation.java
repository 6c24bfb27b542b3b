package dev.herd.logs;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/** How much disk a file really uses: stat(2)'s st_blocks, which counts neither holes nor the logical size. */
final class Allocation {
    // struct stat on x86_64 and on the generic layout of aarch64 alike: st_size at 48, st_blocks at 64
    private static final long ST_SIZE = 48;
    private static final long ST_BLOCKS = 64;
    @SuppressWarnings("restricted") // a downcall to stat(2): the test reads a file's allocated blocks, nothing else
    private static final MethodHandle STAT = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("stat").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));

    private Allocation() {
    }

    /** Bytes allocated to the file (st_blocks * 512). */
    static long allocatedBytes(Path file) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stat = arena.allocate(256, 8);
            int result = (int) STAT.invokeExact(arena.allocateFrom(file.toString()), stat);
            if (result != 0) {
                throw new IllegalStateException("stat " + file + " failed");
            }
            long size = stat.get(ValueLayout.JAVA_LONG, ST_SIZE);
            if (size != Files.size(file)) { // the layout assumed above is not this platform's
                throw new IllegalStateException("struct stat layout: st_size read " + size + ", the file has " + Files.size(file));
            }
            return stat.get(ValueLayout.JAVA_LONG, ST_BLOCKS) * 512;
        }
    }
}
