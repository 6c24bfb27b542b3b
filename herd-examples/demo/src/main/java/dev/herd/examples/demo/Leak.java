package dev.herd.examples.demo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A steady memory leak for trying memory limits ({@code --leak-mb-per-s N}): every second N MiB more of live heap,
 * each byte written so that the pages are resident, kept until the process ends. It stops growing at 2 GiB or when
 * the heap is full, never failing the server it runs beside.
 */
final class Leak {
    private static final int MIB = 1024 * 1024;
    private static final int CEILING_MIB = 2048;
    private static final List<byte[]> kept = new ArrayList<>();

    private Leak() {
    }

    static void start(int mibPerSecond) {
        Thread.ofPlatform().daemon().name("herd-demo-leak").start(() -> {
            long period = 1000L / mibPerSecond;
            while (kept.size() < CEILING_MIB) {
                try {
                    byte[] chunk = new byte[MIB];
                    Arrays.fill(chunk, (byte) 1);
                    kept.add(chunk);
                    Thread.sleep(Math.max(1, period)); // the leak's pace
                } catch (OutOfMemoryError e) {
                    return; // the heap is full: it has leaked all it can
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }
}
