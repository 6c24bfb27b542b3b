package dev.herd.listen;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The nftables ruleset of nat mode, as {@code nft -f} scripts (each script is one atomic transaction).
 *
 * <p>One table per cluster, {@code inet herd_<port>[_<host>]}, holds:
 * <ul>
 *   <li>two fixed verdict maps, {@code bands4} and {@code bands6}, from a client's band to its home slot's chain.
 *       The band is the last byte of the client's address ({@code ip saddr & 0.0.0.255}), ipcluster's
 *       source-address bands: {@value #BANDS} bands, band b's home slot is {@code b mod slots}.</li>
 *   <li>one chain per slot, {@code slot<N>}, holding one rule: REDIRECT to the port of the worker that serves the
 *       slot's clients now (its own, or while it has none, the next serving slot's). A reload or a crash rewrites
 *       one small chain, a few milliseconds; connections already redirected keep their translation in conntrack.</li>
 *   <li>{@code prerouting} (clients of other hosts) and {@code output} (clients on this host) nat chains that send
 *       connections to the public port through the band map.</li>
 *   <li>a {@code guarded} set of worker ports and an {@code input} filter chain that lets only redirected or
 *       local connections reach them: workers listen on every address (a redirected connection arrives at the
 *       address of the interface it came in on), but their ports are not a way around the public port.</li>
 *   <li>an {@code accepted} set of the same ports with a counter per port, which the {@code input} chain's first
 *       rule bumps with each new connection redirected to a port: how many connections each worker was given, so
 *       that {@code --max-connections} recycles any app (see {@link #acceptedCounts}).</li>
 * </ul>
 */
final class NatRules {
    static final int BANDS = 256;
    private static final String ACCEPTED = "accepted";
    private static final String NAT_PRIORITY = "-100"; // dstnat; the output hook takes only the number

    private final String table;
    private final int publicPort;
    private final InetAddress host;
    private final int slots;

    NatRules(InetAddress host, int publicPort, int slots) {
        this.host = host;
        this.publicPort = publicPort;
        this.slots = slots;
        this.table = tableName(host, publicPort);
    }

    static String tableName(InetAddress host, int port) {
        String name = "herd_" + port;
        return host.isAnyLocalAddress() ? name : name + "_" + host.getHostAddress().replaceAll("[^0-9A-Za-z]", "_");
    }

    String table() {
        return table;
    }

    /** IPv4 clients are redirected unless the cluster listens on one IPv6 address ({@code ::} is dual-stack). */
    boolean ipv4() {
        return host instanceof Inet4Address || host.isAnyLocalAddress();
    }

    boolean ipv6() {
        return host instanceof Inet6Address;
    }

    /**
     * Creates the table with every slot chain empty (no worker serves yet: connections are refused), replacing a
     * stale one left by a master that was killed, in the same transaction, so the nat hooks never go away and
     * connections it redirected keep their translation.
     */
    String create() {
        return create(new int[slots], java.util.List.of());
    }

    /**
     * The same, with each slot's chain already pointing at {@code targets[slot]} (0: empty) and these worker ports
     * guarded: a master adopting the workers of one that was killed, or handed the cluster over, replaces the
     * table with one that sends every band where it went before, in one transaction, so no connection is refused.
     */
    String create(int[] targets, java.util.Collection<Integer> guarded) {
        StringBuilder s = new StringBuilder();
        s.append("table inet ").append(table).append(" {}\n");
        s.append("delete table inet ").append(table).append('\n');
        s.append("table inet ").append(table).append(" {\n");
        s.append("  map bands4 { type ipv4_addr : verdict; elements = { ");
        s.append(String.join(", ", IntStream.range(0, BANDS).mapToObj(b -> "0.0.0." + b + " : jump " + chain(b % slots)).toList()));
        s.append(" } }\n");
        s.append("  map bands6 { type ipv6_addr : verdict; elements = { ");
        s.append(String.join(", ", IntStream.range(0, BANDS).mapToObj(b -> "::" + Integer.toHexString(b) + " : jump " + chain(b % slots)).toList()));
        s.append(" } }\n");
        portSet(s, "guarded { type inet_service; ", guarded);
        portSet(s, ACCEPTED + " { type inet_service; counter; ", guarded); // the same ports, each with its counter
        for (int slot = 0; slot < slots; slot++) {
            s.append("  chain ").append(chain(slot)).append(" {\n");
            if (targets[slot] > 0) {
                s.append("    meta l4proto tcp redirect to :").append(targets[slot]).append('\n');
            }
            s.append("  }\n");
        }
        for (String hook : List.of("prerouting", "output")) {
            s.append("  chain ").append(hook).append(" {\n");
            s.append("    type nat hook ").append(hook).append(" priority ").append(NAT_PRIORITY).append("; policy accept;\n");
            bandLookups().forEach(rule -> s.append("    ").append(rule).append('\n'));
            s.append("  }\n");
        }
        s.append("  chain input {\n");
        s.append("    type filter hook input priority filter; policy accept;\n");
        // counts the connections redirected to a worker (not Herd's own readiness probes), decides nothing
        s.append("    ct state new ct status dnat tcp dport @").append(ACCEPTED).append('\n');
        s.append("    tcp dport @guarded ct status dnat accept\n");
        s.append("    tcp dport @guarded fib saddr type local accept\n");
        s.append("    tcp dport @guarded drop\n");
        s.append("  }\n");
        s.append("}\n");
        return s.toString();
    }

    /** {@code set HEAD elements = { PORTS } }}, the elements left out when there are none. */
    private static void portSet(StringBuilder s, String head, java.util.Collection<Integer> ports) {
        s.append("  set ").append(head);
        if (!ports.isEmpty()) {
            s.append("elements = { ").append(String.join(", ", ports.stream().map(String::valueOf).toList())).append(" } ");
        }
        s.append("}\n");
    }

    private static String chain(int slot) {
        return "slot" + slot;
    }

    private List<String> bandLookups() {
        List<String> rules = new ArrayList<>();
        String match = "fib daddr type local tcp dport " + publicPort;
        if (ipv4()) {
            String daddr = host.isAnyLocalAddress() ? "" : " ip daddr " + host.getHostAddress();
            rules.add("meta nfproto ipv4 " + match + daddr + " ip saddr & 0.0.0.255 vmap @bands4");
        }
        if (ipv6()) {
            String daddr = host.isAnyLocalAddress() ? "" : " ip6 daddr " + host.getHostAddress();
            rules.add("meta nfproto ipv6 " + match + daddr + " ip6 saddr & ::ff vmap @bands6");
        }
        return rules;
    }

    /**
     * Points the given slots' clients at new ports, all in one transaction.
     *
     * @param portBySlot slot to port; 0 empties the slot's chain (its clients reach no worker, and are refused)
     */
    String steer(Map<Integer, Integer> portBySlot) {
        StringBuilder s = new StringBuilder();
        portBySlot.forEach((slot, port) -> {
            s.append("flush chain inet ").append(table).append(' ').append(chain(slot)).append('\n');
            if (port > 0) {
                s.append("add rule inet ").append(table).append(' ').append(chain(slot))
                        .append(" meta l4proto tcp redirect to :").append(port).append('\n');
            }
        });
        return s.toString();
    }

    /** The port each slot's clients go to: its own worker's, or while it has none, the next serving slot's. */
    static int[] targets(int[] servingPortBySlot) {
        boolean[] serving = new boolean[servingPortBySlot.length];
        for (int slot = 0; slot < servingPortBySlot.length; slot++) {
            serving[slot] = servingPortBySlot[slot] > 0;
        }
        int[] ports = new int[servingPortBySlot.length];
        for (int slot = 0; slot < ports.length; slot++) {
            ports[slot] = servingPortBySlot[SlotSteering.slotFor(slot, serving)];
        }
        return ports;
    }

    String guard(int port) {
        return "add element inet " + table + " guarded { " + port + " }\n"
                + "add element inet " + table + " " + ACCEPTED + " { " + port + " }\n";
    }

    String unguard(int port) {
        return "delete element inet " + table + " guarded { " + port + " }\n"
                + "delete element inet " + table + " " + ACCEPTED + " { " + port + " }\n";
    }

    /** The {@code nft} arguments that list the {@code accepted} set with its counters, as JSON. */
    List<String> listAccepted() {
        return List.of("-j", "list", "set", "inet", table, ACCEPTED);
    }

    /**
     * The new connections per worker port, from {@code nft -j list set} of the {@code accepted} set: each element
     * is {@code {"elem": {"val": PORT, "counter": {"packets": N, ...}}}}; a port without a counter counts 0.
     */
    static Map<Integer, Long> acceptedCounts(Object listing) {
        Map<Integer, Long> counts = new java.util.HashMap<>();
        if (!(listing instanceof Map<?, ?> top) || !(top.get("nftables") instanceof List<?> items)) {
            return counts;
        }
        for (Object item : items) {
            if (item instanceof Map<?, ?> entry && entry.get("set") instanceof Map<?, ?> set
                    && set.get("elem") instanceof List<?> elements) {
                for (Object element : elements) {
                    if (element instanceof Map<?, ?> wrapper && wrapper.get("elem") instanceof Map<?, ?> elem
                            && elem.get("val") instanceof Number port) {
                        long packets = elem.get("counter") instanceof Map<?, ?> counter
                                && counter.get("packets") instanceof Number n ? n.longValue() : 0;
                        counts.put(port.intValue(), packets);
                    }
                }
            }
        }
        return counts;
    }

    String delete() {
        return "delete table inet " + table + "\n";
    }
}
