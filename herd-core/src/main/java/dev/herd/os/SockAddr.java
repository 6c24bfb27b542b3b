package dev.herd.os;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.file.Path;

/** Encodes and decodes sockaddr_in, sockaddr_in6 and sockaddr_un. */
final class SockAddr {
    static final int IN_SIZE = 16;
    static final int IN6_SIZE = 28;
    static final int UN_SIZE = 110;
    static final int STORAGE_SIZE = 128;

    // The family is host order, the port network order (big-endian).
    private static final ValueLayout.OfShort PORT = JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);

    private SockAddr() {}

    static int family(InetSocketAddress address) {
        return address.getAddress() instanceof Inet6Address ? Libc.AF_INET6 : Libc.AF_INET;
    }

    /** A sockaddr_in or sockaddr_in6; its byteSize() is the length to pass to bind. */
    static MemorySegment inet(Arena arena, InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        if (ip instanceof Inet4Address) {
            MemorySegment sa = arena.allocate(IN_SIZE);
            sa.set(JAVA_SHORT, 0, (short) Libc.AF_INET);
            sa.set(PORT, 2, (short) address.getPort());
            MemorySegment.copy(MemorySegment.ofArray(ip.getAddress()), 0, sa, 4, 4);
            return sa;
        }
        Inet6Address ip6 = (Inet6Address) ip;
        MemorySegment sa = arena.allocate(IN6_SIZE);
        sa.set(JAVA_SHORT, 0, (short) Libc.AF_INET6);
        sa.set(PORT, 2, (short) address.getPort());
        MemorySegment.copy(MemorySegment.ofArray(ip6.getAddress()), 0, sa, 8, 16);
        sa.set(JAVA_INT, 24, ip6.getScopeId());
        return sa;
    }

    static InetSocketAddress decodeInet(MemorySegment sa) {
        int family = sa.get(JAVA_SHORT, 0);
        int port = Short.toUnsignedInt(sa.get(PORT, 2));
        try {
            if (family == Libc.AF_INET) {
                return new InetSocketAddress(InetAddress.getByAddress(sa.asSlice(4, 4).toArray(JAVA_BYTE)), port);
            }
            if (family == Libc.AF_INET6) {
                byte[] bytes = sa.asSlice(8, 16).toArray(JAVA_BYTE);
                int scope = sa.get(JAVA_INT, 24);
                InetAddress ip = scope == 0
                        ? InetAddress.getByAddress(bytes)
                        : Inet6Address.getByAddress(null, bytes, scope);
                return new InetSocketAddress(ip, port);
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen: the byte arrays have the right length
        }
        throw new IllegalStateException("unexpected address family " + family);
    }

    /** sockaddr_un; the length to pass is 2 + path bytes + NUL. */
    static MemorySegment unix(Arena arena, Path path) {
        byte[] bytes = UnixSocketPath.check(path);
        MemorySegment sa = arena.allocate(UN_SIZE);
        sa.set(JAVA_SHORT, 0, (short) Libc.AF_UNIX);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, sa, 2, bytes.length);
        return sa.asSlice(0, 2 + bytes.length + 1);
    }

    /**
     * sockaddr_un of an abstract socket (Linux): a NUL, then the name, and a length that counts the name's bytes only
     * (no NUL after it: every byte of the length is the name).
     */
    static MemorySegment unixAbstract(Arena arena, String name) {
        byte[] bytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (bytes.length == 0 || bytes.length > UN_SIZE - 3) {
            throw new IllegalArgumentException("an abstract socket name of 1 to " + (UN_SIZE - 3) + " bytes, not "
                    + bytes.length);
        }
        MemorySegment sa = arena.allocate(UN_SIZE);
        sa.set(JAVA_SHORT, 0, (short) Libc.AF_UNIX);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, sa, 3, bytes.length); // sun_path[0] stays NUL
        return sa.asSlice(0, 3 + bytes.length);
    }

    /** "127.0.0.1:8080" or "[::1]:8080", for messages. */
    static String describe(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        String host = ip == null ? address.getHostString() : ip.getHostAddress();
        return (ip instanceof Inet6Address ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
