package dev.herd.listen;

import dev.herd.Balance;
import dev.herd.ProxyHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Proxy mode, for applications that bind their own port: each worker listens on a private loopback {@code $PORT};
 * the master accepts on the public port and forwards each connection, whole, to one serving worker chosen by the
 * {@link Balance} policy, optionally preceded by a PROXY protocol header. Picking and connecting the worker
 * happens on a virtual thread; then {@link ForwardingLoops} move the bytes on one selector thread per core,
 * through direct buffers (kernel to native memory to kernel), never through the Java heap. Connections already
 * forwarded to a worker stay with it when it is retired: a drain finishes them.
 */
public final class ProxyListener implements OwnPortListeners {
    private static final Logger log = LoggerFactory.getLogger(ProxyListener.class);
    /** How long a client waits for a serving worker when none is ready (start-up, every slot crashed). */
    static final Duration NO_WORKER_WAIT = Duration.ofSeconds(30);
    /** See {@link #retireGrace()}. */
    static final Duration RETIRE_GRACE = Duration.ofMillis(500);
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final ServerSocketChannel channel;
    private final Balance balance;
    private final ProxyHeader header;
    private final Object backendsChanged = new Object();
    private volatile List<ServingWorker> backends = List.of();
    private final Map<Long, AtomicInteger> open = new ConcurrentHashMap<>();
    /** Connections forwarded to each worker so far, by pid: any app's count, for status and --max-connections. */
    private final Map<Long, java.util.concurrent.atomic.LongAdder> forwarded = new ConcurrentHashMap<>();
    private final AtomicLong turn = new AtomicLong();
    private final ForwardingLoops loops;
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicBoolean accepting = new java.util.concurrent.atomic.AtomicBoolean();

    /** The public address: a channel made from a copied socket names another one (see {@link ListenerCopy}). */
    private final InetSocketAddress publicAddress;

    private ProxyListener(ServerSocketChannel channel, InetSocketAddress publicAddress, Balance balance,
                          ProxyHeader header, ForwardingLoops loops) {
        this.channel = channel;
        this.publicAddress = publicAddress;
        this.balance = balance;
        this.header = header;
        this.loops = loops;
    }

    /**
     * Binds the public port and starts accepting; clients wait until a worker serves.
     *
     * @param idleTimeout a forwarded connection idle this long is closed; zero: never
     */
    public static ProxyListener open(InetSocketAddress address, int backlog, Balance balance, ProxyHeader header,
                                     java.time.Duration idleTimeout) throws IOException {
        // An IPv4 address gets an IPv4 socket: a dual-stack IPv6 socket would carry every IPv4 client through the
        // mapped-address layer (inet6_sendmsg/recvmsg around the same TCP work) on each read and write.
        ServerSocketChannel channel = ServerSocketChannel.open(familyOf(address.getAddress()));
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.bind(address, backlog);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        ProxyListener proxy = create(channel, (InetSocketAddress) channel.getLocalAddress(), balance, header, idleTimeout);
        proxy.ready();
        return proxy;
    }

    /**
     * Takes over the public socket of a master that hands its cluster over (sent with its answer): this proxy accepts
     * its new connections from now on, while the old master forwards the ones it has.
     */
    public static ProxyListener adopt(dev.herd.os.ListenerCopy copy, InetSocketAddress address, Balance balance,
                                      ProxyHeader header, java.time.Duration idleTimeout) throws IOException {
        return create(copy.toChannel(), address, balance, header, idleTimeout); // accepts from ready() on
    }

    private static ProxyListener create(ServerSocketChannel channel, InetSocketAddress address, Balance balance,
                                        ProxyHeader header, java.time.Duration idleTimeout) throws IOException {
        try {
            return new ProxyListener(channel, address, balance, header,
                    new ForwardingLoops(Runtime.getRuntime().availableProcessors(), idleTimeout));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Starts accepting (once). */
    @Override
    public void ready() {
        if (accepting.compareAndSet(false, true)) {
            Thread.ofPlatform().daemon().name("herd-proxy-accept").start(this::acceptLoop);
        }
    }

    /** Waits until every connection this proxy forwards has ended, at most {@code limit}; how many are left. */
    @Override
    public int awaitForwardedEnd(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        int left;
        while ((left = open.values().stream().mapToInt(AtomicInteger::get).sum()) > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50); // polls a count other threads change; bounded by the limit
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return left;
    }

    /**
     * A connection the proxy opened to a worker just before the worker was retired may still wait in that
     * worker's accept queue; most apps (Node's net.Server among them) close their listener on SIGTERM without
     * accepting what is queued, and the kernel resets it. The grace lets the worker accept those first.
     */
    @Override
    public Duration retireGrace() {
        return RETIRE_GRACE;
    }

    @Override
    public InetSocketAddress address() {
        return publicAddress;
    }

    @Override
    public void servingChanged(List<ServingWorker> serving) {
        List<ServingWorker> sorted = serving.stream().filter(w -> w.port() > 0)
                .sorted(Comparator.comparingInt(ServingWorker::slot)).toList();
        backends = sorted;
        synchronized (backendsChanged) {
            backendsChanged.notifyAll();
        }
        log.info("event=proxy.backends balance={} workers={}", balance.label(),
                sorted.stream().map(w -> w.slot() + ":" + w.port()).toList().toString().replace(" ", ""));
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel client;
            try {
                client = channel.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    log.warn("event=proxy.accept_error error=\"{}\"", e.getMessage());
                }
                continue;
            }
            Thread.ofVirtual().name("herd-proxy-conn").start(() -> forward(client));
        }
    }

    /** Picks and connects a worker (blocking, on a virtual thread), then hands the pair to the forwarding loops. */
    private void forward(SocketChannel client) {
        ServingWorker worker = null;
        SocketChannel backend = null;
        try {
            InetSocketAddress from = (InetSocketAddress) client.getRemoteAddress();
            InetSocketAddress to = (InetSocketAddress) client.getLocalAddress();
            // A worker that died a moment ago may still be listed: its port refuses, so try another one.
            Set<Long> refused = new HashSet<>();
            while (backend == null) {
                worker = awaitWorker(from, refused);
                if (worker == null) {
                    log.warn("event=proxy.no_worker client={} waited_ms={}", from, NO_WORKER_WAIT.toMillis());
                    closeQuietly(client);
                    return;
                }
                try {
                    backend = connectLoopback(worker.port());
                } catch (IOException e) {
                    release(worker);
                    refused.add(worker.pid());
                    worker = null;
                }
            }
            byte[] preamble = ProxyHeaderEncoder.encode(header, from, to);
            if (preamble.length > 0) {
                ByteBuffer buffer = ByteBuffer.wrap(preamble);
                while (buffer.hasRemaining()) {
                    backend.write(buffer);
                }
            }
            ServingWorker chosen = worker;
            worker = null;
            forwarded.computeIfAbsent(chosen.pid(), pid -> new java.util.concurrent.atomic.LongAdder()).increment();
            // the connection stops counting for least-conn when the worker has ended its side, before the
            // client sees the end: a client that waits for the close never races the count
            loops.forward(client, backend, () -> release(chosen));
        } catch (IOException e) {
            // a client or worker went away before forwarding began
            closeQuietly(client);
            if (backend != null) {
                closeQuietly(backend);
            }
            if (worker != null) {
                release(worker);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(client);
        }
    }

    /** A connection to a worker's private port, on an IPv4 socket (see {@link #familyOf}). */
    static SocketChannel connectLoopback(int port) throws IOException {
        SocketChannel channel = SocketChannel.open(familyOf(LOOPBACK));
        try {
            channel.connect(new InetSocketAddress(LOOPBACK, port));
            return channel;
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    static StandardProtocolFamily familyOf(InetAddress address) {
        return address instanceof Inet4Address ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6;
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    private void release(ServingWorker worker) {
        AtomicInteger count = open.get(worker.pid());
        if (count != null && count.decrementAndGet() <= 0 && backends.stream().noneMatch(w -> w.pid() == worker.pid())) {
            open.remove(worker.pid(), count); // the worker is gone or retired: forget its counter
            forwarded.remove(worker.pid());
        }
    }

    @Override
    public long connectionsCounted(long pid, int port) {
        java.util.concurrent.atomic.LongAdder count = forwarded.get(pid);
        return count == null ? 0 : count.sum();
    }

    private ServingWorker awaitWorker(InetSocketAddress client, Set<Long> refused) throws InterruptedException {
        long deadline = System.nanoTime() + NO_WORKER_WAIT.toNanos();
        while (!closed) {
            List<ServingWorker> now = refused.isEmpty() ? backends
                    : backends.stream().filter(w -> !refused.contains(w.pid())).toList();
            if (!now.isEmpty()) {
                ServingWorker chosen = choose(now, client);
                open.computeIfAbsent(chosen.pid(), pid -> new AtomicInteger()).incrementAndGet();
                return chosen;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            synchronized (backendsChanged) {
                if (backends.stream().allMatch(w -> refused.contains(w.pid()))) {
                    backendsChanged.wait(Math.max(1, Math.min(left / 1_000_000, 100)));
                }
            }
        }
        return null;
    }

    /** Picks a worker for a client; pure apart from the round-robin counter and the open-connection counts. */
    ServingWorker choose(List<ServingWorker> workers, InetSocketAddress client) {
        return switch (balance) {
            case ROUND_ROBIN -> workers.get((int) Math.floorMod(turn.getAndIncrement(), (long) workers.size()));
            case LEAST_CONN -> workers.stream()
                    .min(Comparator.comparingInt((ServingWorker w) -> openCount(w.pid())).thenComparingInt(ServingWorker::slot))
                    .orElseThrow();
            case IP_HASH -> workers.get(Math.floorMod(Arrays.hashCode(client.getAddress().getAddress()), workers.size()));
        };
    }

    private int openCount(long pid) {
        AtomicInteger count = open.get(pid);
        return count == null ? 0 : count.get();
    }

    @Override
    public void stopAccepting() {
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    /** After the last worker exited: the forwarding threads have nothing left to move. */
    @Override
    public void close() {
        stopAccepting();
        loops.close();
    }
}
