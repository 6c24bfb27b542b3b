package dev.herd.wire;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One sd_notify datagram: newline-separated {@code KEY=VALUE} assignments (READY=1, STATUS=..., STOPPING=1,
 * WATCHDOG=1, ...). Lines without '=' are ignored, as systemd does; later keys win.
 */
public record NotifyMessage(Map<String, String> values) {

    public static NotifyMessage parse(String datagram) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : datagram.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                values.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return new NotifyMessage(Map.copyOf(values));
    }

    public boolean ready() {
        return "1".equals(values.get("READY"));
    }

    public boolean stopping() {
        return "1".equals(values.get("STOPPING"));
    }

    /** A heartbeat for the watchdog (sd_notify's WATCHDOG=1). */
    public boolean heartbeat() {
        return "1".equals(values.get("WATCHDOG"));
    }

    public String status() {
        return values.get("STATUS");
    }
}
