package dev.herd.bench;

/**
 * The floor for the footprint benchmark: a JVM that does nothing. It prints one line as soon as {@code main} runs
 * (the benchmark times the JVM's start-up to it) and sleeps until it is killed. Nothing else is loaded: no other class
 * of this jar, no logging, no threads of its own.
 */
public final class IdleJvm {
    private IdleJvm() {
    }

    public static void main(String[] args) throws InterruptedException {
        System.out.println("event=idle.ready");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
