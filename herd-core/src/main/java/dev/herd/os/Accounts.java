package dev.herd.os;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Users and groups as the C library sees them (NSS: /etc/passwd and /etc/group, or LDAP, sssd, ... where the
 * system is set up for them), so that {@code --user} names the same account {@code id(1)} and {@code su(1)} would.
 * A name made of digits only that no account has is taken as a numeric id, as systemd and setpriv do.
 */
public final class Accounts {
    /** An account: its name ("" for a bare numeric uid), ids and home ("" when unknown). */
    public record User(String name, int uid, int gid, String home) {
    }

    // struct passwd and struct group on x86_64 glibc (docs/native-notes.md)
    private static final long PASSWD_SIZE = 48;
    private static final long PW_NAME = 0;
    private static final long PW_UID = 16;
    private static final long PW_GID = 20;
    private static final long PW_DIR = 32;
    private static final long GROUP_SIZE = 32;
    private static final long GR_GID = 16;
    private static final int ERANGE = 34;
    private static final long FIRST_BUFFER = 16 * 1024;
    private static final long MAX_BUFFER = 1 << 20;
    private static final int MAX_GROUPS = 65536;

    private Accounts() {
    }

    /** The account named {@code nameOrId}, or with that uid; empty when there is none. */
    public static Optional<User> user(String nameOrId) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pwd = arena.allocate(PASSWD_SIZE, 8);
            MemorySegment found = lookup(arena, pwd, (buffer, result) ->
                    Libc.getpwnam(arena.allocateFrom(nameOrId), pwd, buffer, result), nameOrId);
            if (found == null && isNumber(nameOrId)) {
                int uid = Integer.parseUnsignedInt(nameOrId);
                found = lookup(arena, pwd, (buffer, result) -> Libc.getpwuid(uid, pwd, buffer, result), nameOrId);
                if (found == null) {
                    return Optional.of(new User("", uid, -1, ""));
                }
            }
            if (found == null) {
                return Optional.empty();
            }
            return Optional.of(new User(string(pwd, PW_NAME), pwd.get(JAVA_INT, PW_UID), pwd.get(JAVA_INT, PW_GID),
                    string(pwd, PW_DIR)));
        }
    }

    /** The gid of the group named {@code nameOrId}, or that number; empty when there is no such group. */
    public static OptionalInt group(String nameOrId) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment grp = arena.allocate(GROUP_SIZE, 8);
            if (lookup(arena, grp, (buffer, result) -> Libc.getgrnam(arena.allocateFrom(nameOrId), grp, buffer, result),
                    nameOrId) != null) {
                return OptionalInt.of(grp.get(JAVA_INT, GR_GID));
            }
            if (isNumber(nameOrId)) {
                return OptionalInt.of(Integer.parseUnsignedInt(nameOrId));
            }
            return OptionalInt.empty();
        }
    }

    /**
     * The groups {@code user} belongs to with {@code gid} as its primary group, as login would set them
     * (initgroups(3)); {@code gid} alone for an account without a name.
     */
    public static int[] groups(User user, int gid) {
        if (user.name().isEmpty()) {
            return new int[] {gid};
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocateFrom(user.name());
            MemorySegment count = arena.allocate(JAVA_INT);
            int room = 64;
            while (true) {
                MemorySegment groups = arena.allocate(JAVA_INT, room);
                count.set(JAVA_INT, 0, room);
                int n = Libc.getgrouplist(name, gid, groups, count);
                if (n >= 0) {
                    return Arrays.copyOf(groups.toArray(JAVA_INT), n);
                }
                int needed = count.get(JAVA_INT, 0);
                if (needed <= room || needed > MAX_GROUPS) {
                    throw new IllegalStateException("getgrouplist(" + user.name() + ") wants room for " + needed + " groups");
                }
                room = needed;
            }
        }
    }

    private interface Call {
        int run(MemorySegment buffer, MemorySegment result);
    }

    /** Runs a getXXnam_r/getXXid_r call with a buffer large enough; the struct when found, else null. */
    private static MemorySegment lookup(Arena arena, MemorySegment struct, Call call, String what) {
        MemorySegment result = arena.allocate(ADDRESS);
        for (long size = FIRST_BUFFER; ; size *= 2) {
            MemorySegment buffer = arena.allocate(size);
            int rc = call.run(buffer, result);
            if (rc == ERANGE && size < MAX_BUFFER) {
                continue;
            }
            if (rc != 0) {
                throw new NativeException("account lookup", what, rc);
            }
            return result.get(ADDRESS, 0).equals(MemorySegment.NULL) ? null : struct;
        }
    }

    @SuppressWarnings("restricted") // a C string's length is unknown until read: reinterpret (restricted) is the way
    private static String string(MemorySegment struct, long offset) {
        MemorySegment pointer = struct.get(ADDRESS, offset);
        return pointer.equals(MemorySegment.NULL) ? "" : pointer.reinterpret(MAX_BUFFER).getString(0);
    }

    private static boolean isNumber(String text) {
        if (text.isEmpty() || text.length() > 10) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return false;
            }
        }
        return Long.parseLong(text) <= 0xfffffffeL; // (uid_t) -1 means "unchanged"
    }
}
