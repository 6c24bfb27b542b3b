package dev.herd;

import java.util.Locale;

/** Proxy mode: which PROXY protocol header (HAProxy's spec) tells a worker who the client is. */
public enum ProxyHeader {
    NONE, V1, V2;

    public static ProxyHeader parse(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "none", "off" -> NONE;
            case "v1", "1" -> V1;
            case "v2", "2" -> V2;
            default -> throw new IllegalArgumentException("'" + value + "' is not a PROXY protocol version; use v1, v2 or none");
        };
    }
}
