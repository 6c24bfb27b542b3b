package dev.herd.worker;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.Charset;

/**
 * Keeps {@link System#out} and {@link System#err} working after the inherited channel is closed.
 *
 * <p>The JDK's channel from {@link System#inheritedChannel()} was designed for inetd, where fds 0, 1
 * and 2 are all the socket: closing it dup2()s /dev/null onto fds 0, 1 <em>and</em> 2. Under Herd
 * fds 1 and 2 are the worker's log files, so a worker that closes its listening channel to drain
 * would silently lose every later log line. We therefore point System.out/err at fresh descriptors
 * for the same files (opened through /proc/self/fd) before handing the channel out.
 */
final class StdioGuard {

    private static boolean done;

    private StdioGuard() {
    }

    static synchronized void detachFromStdFds() {
        if (done) {
            return;
        }
        done = true;
        PrintStream out = reopen(1, "stdout.encoding");
        PrintStream err = reopen(2, "stderr.encoding");
        if (out != null) {
            System.out.flush();
            System.setOut(out);
        }
        if (err != null) {
            System.err.flush();
            System.setErr(err);
        }
    }

    /** @return null when the descriptor cannot be reopened (a socket, or no /proc): nothing better to do */
    private static PrintStream reopen(int fd, String encodingProperty) {
        try {
            // append: a log file shared with other writers must never be overwritten
            FileOutputStream file = new FileOutputStream("/proc/self/fd/" + fd, true);
            return new PrintStream(new BufferedOutputStream(file, 8192), true, charset(encodingProperty));
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    private static Charset charset(String property) {
        String name = System.getProperty(property);
        try {
            if (name != null && Charset.isSupported(name)) {
                return Charset.forName(name);
            }
        } catch (IllegalArgumentException e) {
            // fall through to the default
        }
        return Charset.defaultCharset();
    }
}
