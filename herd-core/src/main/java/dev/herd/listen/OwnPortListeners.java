package dev.herd.listen;

/** The modes whose workers inherit no socket but bind a private {@code $PORT} of their own (proxy, nat). */
interface OwnPortListeners extends Listeners {

    @Override
    default dev.herd.os.ListenSocket socketFor(int slot) {
        return null;
    }

    @Override
    default boolean workersBindOwnPort() {
        return true;
    }
}
