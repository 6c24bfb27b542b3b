package dev.herd.listen;

import dev.herd.os.ListenSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * One SO_REUSEPORT socket per slot, bound in slot order so that a socket's index in the kernel's group is its
 * slot id, and all kept open by the master: closing one would move the group's last socket into its index
 * (docs/native-notes.md) and scramble the sticky mapping. A dead slot's connections wait in its backlog for the
 * replacement, which inherits the same socket.
 */
final class ReusePortListeners implements Listeners {
    private static final Logger log = LoggerFactory.getLogger(ReusePortListeners.class);

    private final List<ListenSocket> sockets;
    private final boolean sticky;

    private ReusePortListeners(List<ListenSocket> sockets, boolean sticky) {
        this.sockets = sockets;
        this.sticky = sticky;
    }

    static ReusePortListeners open(InetSocketAddress address, int backlog, int slots, boolean sticky) {
        if (address.getPort() != 0) {
            // SO_REUSEPORT would let this group join another master's on the same port and split its traffic
            ListenSocket.checkFree(address);
        }
        return completed(List.of(ListenSocket.open(address, backlog, true)), backlog, slots, sticky);
    }

    /**
     * The sockets a service manager passed (socket activation, each with SO_REUSEPORT) for the first slots, and new
     * ones joining their group for the rest.
     */
    static ReusePortListeners activated(List<ListenSocket> given, int backlog, int slots, boolean sticky) {
        return completed(given, backlog, slots, sticky);
    }

    /** {@code first} for the first slots; each other slot binds a socket on their address, joining the group. */
    private static ReusePortListeners completed(List<ListenSocket> first, int backlog, int slots, boolean sticky) {
        List<ListenSocket> sockets = new ArrayList<>(first);
        try {
            // port 0 asked the kernel for a port: every other slot binds the one it gave
            InetSocketAddress bound = first.getFirst().localAddress();
            for (int slot = sockets.size(); slot < slots; slot++) {
                sockets.add(ListenSocket.open(bound, backlog, true));
            }
            ReusePortListeners listeners = new ReusePortListeners(List.copyOf(sockets), sticky);
            if (sticky) {
                boolean[] all = new boolean[slots];
                Arrays.fill(all, true);
                listeners.attach(all);
            }
            return listeners;
        } catch (RuntimeException e) {
            sockets.forEach(ListenSocket::close);
            throw e;
        }
    }

    /** An existing group, by slot; the sticky program is attached once the serving workers are known. */
    static ReusePortListeners of(List<ListenSocket> sockets, boolean sticky) {
        return new ReusePortListeners(List.copyOf(sockets), sticky);
    }

    @Override
    public ListenSocket socketFor(int slot) {
        return sockets.get(slot);
    }

    @Override
    public boolean slotCountCanChange() {
        return false;
    }

    @Override
    public InetSocketAddress address() {
        return sockets.getFirst().localAddress();
    }

    @Override
    public void servingChanged(List<ServingWorker> serving) {
        if (sticky) {
            boolean[] bySlot = new boolean[sockets.size()];
            serving.forEach(worker -> bySlot[worker.slot()] = true);
            attach(bySlot);
        }
    }

    /** Before any worker is ready every bucket keeps its own slot: connections queue for their own worker. */
    private void attach(boolean[] serving) {
        boolean none = IntStream.range(0, serving.length).noneMatch(i -> serving[i]);
        boolean[] effective = serving;
        if (none) {
            effective = new boolean[serving.length];
            Arrays.fill(effective, true);
        }
        sockets.getFirst().attachReusePortProgram(StickyProgram.build(effective));
        log.info("event=sticky.updated slots_serving={}", describe(effective));
    }

    private static String describe(boolean[] serving) {
        StringBuilder out = new StringBuilder();
        for (int slot = 0; slot < serving.length; slot++) {
            if (serving[slot]) {
                out.append(out.isEmpty() ? "" : ",").append(slot);
            }
        }
        return out.isEmpty() ? "none" : out.toString();
    }

    @Override
    public void close() {
        sockets.forEach(ListenSocket::close);
    }
}
