package dev.herd.tests;

import dev.herd.Access;
import dev.herd.ApiSpec;
import dev.herd.ClusterSpec;
import dev.herd.Command;
import dev.herd.ReadyWhen;
import dev.herd.runtime.ClusterRunner;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A master embedded in an application that adds its own control commands: {@code greet} (remote), {@code flush}
 * (local only) and {@code broken} (fails). Its workers idle. Arguments: STATE-DIR.
 */
public final class CustomCommandApp {
    private CustomCommandApp() {
    }

    public static void main(String[] args) {
        AtomicInteger flushes = new AtomicInteger();
        ClusterSpec spec = ClusterSpec.builder().workers(2).host("127.0.0.1").port(0)
                .command(List.of("/bin/sh", "-c", "exec sleep 600")).readyWhen(ReadyWhen.STARTED)
                .stateDir(Path.of(args[0])).api(new ApiSpec(true, "127.0.0.1", 0, null, false, null)).build();
        List<Command> commands = List.of(
                new Command("greet", Access.REMOTE, "greet NAME", "says hello", words -> {
                    if (words.size() != 1) {
                        throw new IllegalArgumentException("greet needs exactly one name");
                    }
                    return Map.of("greeting", "hello " + words.getFirst());
                }),
                new Command("flush", Access.LOCAL, "flush", "flushes the application's caches (local only)",
                        words -> Map.of("flushes", flushes.incrementAndGet())),
                new Command("broken", Access.REMOTE, "broken", "always fails", words -> {
                    throw new IllegalStateException("the cache is on fire");
                }));
        System.exit(ClusterRunner.run(spec, List.of(), commands));
    }
}
