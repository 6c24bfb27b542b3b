package dev.herd.os;

import java.lang.foreign.MemorySegment;

/** errno numbers and their names; names come from glibc's strerrorname_np (glibc >= 2.32). */
final class Errno {
    static final int EPERM = 1;
    static final int EBADF = 9;
    static final int ENOTSOCK = 88;
    static final int ENOENT = 2;
    static final int ESRCH = 3;
    static final int EINTR = 4;
    static final int ECHILD = 10;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int EINVAL = 22;
    static final int EPIPE = 32;
    static final int ECONNRESET = 104;
    static final int ECONNREFUSED = 111;

    private Errno() {}

    static String name(int errno) {
        String name = cString(Libc.strerrorname(errno));
        return name == null ? "E" + errno : name;
    }

    static String describe(int errno) {
        String text = cString(Libc.strerror(errno));
        return text == null ? "errno " + errno : text;
    }

    @SuppressWarnings("restricted") // a C string's length is unknown until read: reinterpret (restricted) is the way
    private static String cString(MemorySegment pointer) {
        if (pointer == null || pointer.equals(MemorySegment.NULL)) {
            return null;
        }
        return pointer.reinterpret(256).getString(0);
    }
}
