package dev.herd.listen;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs nftables scripts through the {@code nft} command: {@code nft -f -} applies a whole script as one atomic
 * transaction, so clients never see a half-updated ruleset. (Talking netlink directly would save the fork, a few
 * milliseconds per update, at the price of reimplementing nft's rule compiler.)
 */
final class Nft {
    private static final List<String> SEARCH_PATH = List.of("/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft", "/bin/nft");
    private static final long TIMEOUT_SECONDS = 10;
    /** CAP_NET_ADMIN's bit in /proc/self/status CapEff. */
    private static final int CAP_NET_ADMIN = 12;

    private final String program;

    private Nft(String program) {
        this.program = program;
    }

    /** Finds {@code nft} and checks this process may change the ruleset; the message says what to do otherwise. */
    static Nft locate() throws IOException {
        String program = SEARCH_PATH.stream().filter(p -> Files.isExecutable(Path.of(p))).findFirst()
                .orElseThrow(() -> new NatUnavailableException("--mode nat needs the nft command (nftables), found none in "
                        + SEARCH_PATH + "; install it (Debian/Ubuntu: apt-get install nftables)"));
        if (!hasNetAdmin()) {
            throw new NatUnavailableException("--mode nat changes the firewall's nat table and needs root (CAP_NET_ADMIN), which "
                    + "this process lacks; run the master as root, or use --mode reuseport --sticky, which needs no privileges");
        }
        return new Nft(program);
    }

    private static boolean hasNetAdmin() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("CapEff:")) {
                long capabilities = Long.parseUnsignedLong(line.substring("CapEff:".length()).trim(), 16);
                return (capabilities & (1L << CAP_NET_ADMIN)) != 0;
            }
        }
        return false;
    }

    /** Runs {@code nft ARGS} (a listing) and returns what it printed; throws with nft's message when it fails. */
    String run(List<String> args) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(program));
        command.addAll(args);
        Process nft = new ProcessBuilder(command).redirectErrorStream(true).start();
        nft.getOutputStream().close();
        return finish(nft); // a listing of a few elements: far less than the pipe holds, so waiting first is safe
    }

    /** Applies the script atomically; throws with nft's own message when it refuses. */
    void apply(String script) throws IOException {
        Process nft = new ProcessBuilder(program, "-f", "-").redirectErrorStream(true).start();
        try (OutputStream in = nft.getOutputStream()) {
            in.write(script.getBytes(StandardCharsets.UTF_8));
        }
        finish(nft);
    }

    /** Waits (bounded) for nft to end; its output, or an exception with it when nft failed. */
    private static String finish(Process nft) throws IOException {
        try {
            if (!nft.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                nft.destroyForcibly();
                throw new IOException("nft did not finish within " + TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            nft.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while nft ran", e);
        }
        String output = new String(nft.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (nft.exitValue() != 0) {
            throw new IOException("nft failed (exit " + nft.exitValue() + "): " + output);
        }
        return output;
    }
}
