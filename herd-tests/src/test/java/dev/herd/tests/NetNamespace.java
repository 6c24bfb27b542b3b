package dev.herd.tests;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A network namespace made for one test and joined to the test's own namespace by a veth pair: the namespace's
 * end has {@link #SERVER}, the test's end has the client source addresses. Closing deletes both (processes
 * still running inside are the caller's to kill). {@link #create(String, List)} makes one in another subnet, so that
 * a test can have several side by side (several hosts).
 */
final class NetNamespace implements AutoCloseable {
    static final String SUBNET = "10.213.77";
    static final String SERVER = SUBNET + ".1";

    final String name;
    final String subnet;
    private final String hostSide;

    private NetNamespace(String name, String subnet, String hostSide) {
        this.name = name;
        this.subnet = subnet;
        this.hostSide = hostSide;
    }

    /** Creates the namespace; {@code clientHosts} are the last bytes of the source addresses the test may use. */
    static NetNamespace create(List<Integer> clientHosts) {
        return create(SUBNET, clientHosts);
    }

    /**
     * The same in {@code subnet} (three bytes, e.g. {@code 10.213.81}): the namespace's end is {@code SUBNET.1}
     * ({@link #server()}), the test's end has {@code SUBNET.HOST} for each of {@code clientHosts}.
     */
    static NetNamespace create(String subnet, List<Integer> clientHosts) {
        // a namespace that a killed run left holds the same subnet: this one's clients would reach it instead
        Shell.Result taken = Shell.run("ip", "-o", "addr", "show", "to", subnet + ".0/24");
        if (!taken.output().isBlank()) {
            throw new IllegalStateException(subnet + ".0/24 is already on this machine (" + taken.output().strip()
                    + "), probably from a namespace a killed test run left: delete it (ip netns list; ip netns del"
                    + " herd-test-...) and run again");
        }
        String id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        NetNamespace ns = new NetNamespace("herd-test-" + id, subnet, "hv" + id);
        try {
            ns.must("ip", "netns", "add", ns.name);
            ns.must("ip", "link", "add", ns.hostSide, "type", "veth", "peer", "name", "hn" + id);
            ns.must("ip", "link", "set", "hn" + id, "netns", ns.name);
            ns.must(ns.exec("ip", "addr", "add", ns.server() + "/24", "dev", "hn" + id));
            ns.must(ns.exec("ip", "link", "set", "hn" + id, "up"));
            ns.must(ns.exec("ip", "link", "set", "lo", "up"));
            for (int host : clientHosts) {
                ns.must("ip", "addr", "add", subnet + "." + host + "/24", "dev", ns.hostSide);
            }
            ns.must("ip", "link", "set", ns.hostSide, "up");
            return ns;
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
    }

    /** The namespace's own address ({@link #SERVER} for the default subnet). */
    String server() {
        return subnet + ".1";
    }

    /** The command, run inside the namespace. */
    List<String> exec(String... command) {
        List<String> line = new ArrayList<>(List.of("ip", "netns", "exec", name));
        line.addAll(List.of(command));
        return line;
    }

    List<String> prefix() {
        return List.of("ip", "netns", "exec", name);
    }

    Shell.Result run(String... command) {
        return Shell.run(exec(command));
    }

    private void must(String... command) {
        must(List.of(command));
    }

    private void must(List<String> command) {
        Shell.Result result = Shell.run(command);
        if (result.code() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + result.code() + "): "
                    + result.output());
        }
    }

    @Override
    public void close() {
        Shell.run("ip", "link", "del", hostSide); // takes its peer inside the namespace with it
        Shell.run("ip", "netns", "del", name);
    }
}
