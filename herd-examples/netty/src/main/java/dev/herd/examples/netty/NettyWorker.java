package dev.herd.examples.netty;

import dev.herd.worker.Worker;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;

import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Netty 4.2 HTTP/1.1 server as a Herd worker. Netty wraps the listening socket the master hands over
 * ({@code new NioServerSocketChannel(Worker.current().serverChannel())}) and, as it is already bound, the
 * bootstrap registers it instead of binding: accepting starts at once. Standalone it binds {@code $PORT}.
 *
 * <p>SIGTERM drains without losing a request: the server channel closes (the master's copy of the socket keeps
 * taking connections for the other workers), each open connection answers its next request with
 * {@code Connection: close} and closes, one idle for a second is closed, and the process exits when none is left
 * (or after {@link #DRAIN_LIMIT}).
 */
public final class NettyWorker {
    static final Duration DRAIN_LIMIT = Duration.ofSeconds(25);
    /** System property {@code herd.netty.idleTimeoutMs}, default 60000. */
    static final Duration IDLE_TIMEOUT = Duration.ofMillis(Long.getLong("herd.netty.idleTimeoutMs", 60_000));

    /** Closes a connection the {@link IdleStateHandler} found idle. */
    private static final class IdleCloser extends io.netty.channel.ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(io.netty.channel.ChannelHandlerContext context, Object event) throws Exception {
            if (event instanceof io.netty.handler.timeout.IdleStateEvent) {
                context.close();
            } else {
                super.userEventTriggered(context, event);
            }
        }
    }

    private NettyWorker() {
    }

    public static void main(String[] args) throws Exception {
        Worker worker = Worker.current();
        ServerSocketChannel inherited = worker.serverChannel();
        String identity = "{\"slot\":" + worker.slot() + ",\"pid\":" + ProcessHandle.current().pid()
                + ",\"generation\":" + worker.generation() + ",\"app\":\"herd-netty\"}";
        Connections connections = new Connections();
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channelFactory(() -> new NioServerSocketChannel(inherited))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        connections.opened(channel);
                        // a keep-alive connection with no traffic for the idle timeout is closed (Netty has no
                        // default: without this an idle client holds its connection, and a file descriptor, forever)
                        channel.pipeline().addLast(new IdleStateHandler(0, 0, IDLE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS),
                                new IdleCloser(), new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                                new IdentityHandler(identity, connections));
                    }
                });
        Channel server = bootstrap.register().sync().channel(); // already bound: register, do not bind
        System.out.println("herd-netty slot=" + worker.slot() + " pid=" + ProcessHandle.current().pid()
                + " generation=" + worker.generation() + " listening on " + inherited.getLocalAddress());
        System.out.flush();

        CountDownLatch drained = new CountDownLatch(1);
        AtomicBoolean draining = new AtomicBoolean();
        Runnable drain = () -> {
            if (draining.compareAndSet(false, true)) {
                Thread.ofPlatform().name("herd-netty-drain").start(() -> {
                    long start = System.nanoTime();
                    server.close().syncUninterruptibly();
                    connections.drain(DRAIN_LIMIT);
                    System.out.println("herd-netty slot=" + worker.slot() + " drained in "
                            + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms: requests=" + connections.requests());
                    drained.countDown();
                });
            }
        };
        JdkSignals.handle("TERM", drain);
        worker.onDrain(drain);
        worker.ready();
        drained.await();
        boss.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        System.out.flush();
        System.exit(0);
    }
}
