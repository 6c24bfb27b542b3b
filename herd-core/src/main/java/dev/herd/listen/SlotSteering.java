package dev.herd.listen;

/**
 * Where a client group goes while its own slot has no ready worker. Sticky sessions (reuseport's BPF buckets,
 * nat mode's address bands) give every group a home slot; a group whose home slot is down is lent to the next
 * serving slot, so its clients are served meanwhile, and returns when the slot serves again. Groups of other
 * slots never move.
 */
final class SlotSteering {
    private SlotSteering() {
    }

    /** The slot that serves a group whose home is {@code home}: its own if serving, else the next serving one. */
    static int slotFor(int home, boolean[] serving) {
        for (int step = 0; step < serving.length; step++) {
            int candidate = (home + step) % serving.length;
            if (serving[candidate]) {
                return candidate;
            }
        }
        return home; // nobody serves: the group stays at home
    }
}
