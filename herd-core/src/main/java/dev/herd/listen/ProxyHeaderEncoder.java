package dev.herd.listen;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import dev.herd.ProxyHeader;

/**
 * Encodes the PROXY protocol header (HAProxy's spec, versions 1 and 2) that tells a worker behind the proxy who
 * the client is: sent first on every connection to the worker.
 */
final class ProxyHeaderEncoder {

    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    /** The header for a connection from {@code client} to {@code proxy} (the address the client connected to). */
    private ProxyHeaderEncoder() {
    }

    static byte[] encode(ProxyHeader version, InetSocketAddress client, InetSocketAddress proxy) {
        boolean ipv4 = client.getAddress() instanceof Inet4Address && proxy.getAddress() instanceof Inet4Address;
        return switch (version) {
            case NONE -> new byte[0];
            case V1 -> ("PROXY " + (ipv4 ? "TCP4 " : "TCP6 ") + text(client, ipv4) + " " + text(proxy, ipv4) + " "
                    + client.getPort() + " " + proxy.getPort() + "\r\n").getBytes(StandardCharsets.US_ASCII);
            case V2 -> v2(client, proxy, ipv4);
        };
    }

    private static String text(InetSocketAddress address, boolean ipv4) {
        String host = address.getAddress().getHostAddress();
        return ipv4 ? host : mapped(address);
    }

    /** IPv6 text form; an IPv4 address on a mixed connection becomes ::ffff:a.b.c.d. */
    private static String mapped(InetSocketAddress address) {
        if (address.getAddress() instanceof Inet4Address v4) {
            return "::ffff:" + v4.getHostAddress();
        }
        String host = address.getAddress().getHostAddress();
        int scope = host.indexOf('%');
        return scope < 0 ? host : host.substring(0, scope);
    }

    private static byte[] v2(InetSocketAddress client, InetSocketAddress proxy, boolean ipv4) {
        int addressBytes = ipv4 ? 12 : 36;
        ByteBuffer out = ByteBuffer.allocate(16 + addressBytes);
        out.put(V2_SIGNATURE);
        out.put((byte) 0x21);                        // version 2, PROXY command
        out.put((byte) (ipv4 ? 0x11 : 0x21));        // TCP over IPv4 / IPv6
        out.putShort((short) addressBytes);
        out.put(bytes(client, ipv4));
        out.put(bytes(proxy, ipv4));
        out.putShort((short) client.getPort());
        out.putShort((short) proxy.getPort());
        return out.array();
    }

    private static byte[] bytes(InetSocketAddress address, boolean ipv4) {
        byte[] raw = address.getAddress().getAddress();
        if (ipv4 || raw.length == 16) {
            return raw;
        }
        byte[] mapped = new byte[16];                // IPv4-mapped IPv6 address
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(raw, 0, mapped, 12, 4);
        return mapped;
    }
}
