package dev.herd.os;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * glibc's malloc heap. The JVM's own allocations at start-up (the JIT compiler's arenas, class parsing) are freed
 * soon after, but glibc keeps the freed pages resident in its arenas; malloc_trim(3) gives them back to the kernel
 * ({@code jcmd PID System.trim_native_heap} does the same by hand). Its handle is made on first use, not with
 * {@link Libc}'s.
 */
public final class NativeHeap {
    private NativeHeap() {
    }

    private static final class Trim {
        @SuppressWarnings("restricted") // a downcall to malloc_trim(3), the class's only job
        static final MethodHandle MALLOC_TRIM = Linker.nativeLinker().defaultLookup().find("malloc_trim")
                .map(symbol -> Linker.nativeLinker().downcallHandle(symbol, FunctionDescriptor.of(JAVA_INT, JAVA_LONG)))
                .orElse(null);
    }

    /**
     * Returns the free memory of every malloc arena to the kernel.
     *
     * @return whether memory was released; empty where the C library has no malloc_trim (not glibc)
     */
    public static Optional<Boolean> trim() {
        MethodHandle trim = Trim.MALLOC_TRIM;
        if (trim == null) {
            return Optional.empty();
        }
        try {
            return Optional.of((int) trim.invokeExact(0L) == 1);
        } catch (Throwable t) {
            throw new IllegalStateException("malloc_trim failed", t);
        }
    }
}
