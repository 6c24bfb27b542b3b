package dev.herd.runtime;

import dev.herd.ClusterSpec;
import dev.herd.StartupException;

import dev.herd.os.UnixStream;
import dev.herd.supervisor.CarriedCounters;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The new master's end of a hand-over ({@link Handover}, {@code herd run --takeover}): asks the running master for
 * its cluster (its listening sockets come with its answer) and, once this master holds everything it needs, confirms. Closing before confirming (this master
 * failed) leaves the running one as it was.
 */
final class HandoverClient implements AutoCloseable {
    private final HandoverConnection connection;
    private final long fromPid;
    private final Running running;
    private final HandedSockets sockets;
    private boolean confirmed;

    /**
     * What the running master runs now (an upgrade may have changed its command, a scale its slots), and what it
     * counted.
     */
    record Running(List<String> argv, Map<String, String> env, int workers, CarriedCounters counters) {
    }

    private HandoverClient(HandoverConnection connection, long fromPid, Running running, HandedSockets sockets) {
        this.connection = connection;
        this.fromPid = fromPid;
        this.running = running;
        this.sockets = sockets;
    }

    /**
     * Asks the master running on this state dir to hand over; empty when none runs (no hand-over socket, or nobody
     * answers on it: a master that was killed). Returns once the running master has stopped its loop and let go of
     * the state dir's lock.
     *
     * @throws StartupException when it refuses (another user, mode or port; another takeover under way; a rollout
     *                          running), in one line saying why
     */
    static Optional<HandoverClient> ask(ClusterSpec spec, InetSocketAddress address) {
        checkOwner(spec.stateDir());
        Path path = Handover.socketPath(spec.stateDir());
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        if (Files.isSymbolicLink(path)) {
            throw new StartupException(StartupException.SETUP, "cannot take over: " + path
                    + " is a symbolic link; remove it");
        }
        HandoverConnection connection;
        try {
            connection = new HandoverConnection(UnixStream.connect(path));
        } catch (IOException e) {
            return Optional.empty(); // left by a master that was killed: nobody to hand over
        }
        try {
            connection.write(Handover.Hello.of(spec, address));
            Map<String, Object> answer = connection.read(Handover.ANSWER_LIMIT, Handover.MAX_ANSWER,
                    "answer from the running master");
            if ("refused".equals(answer.get("type"))) {
                throw new StartupException(StartupException.SETUP, "cannot take over: " + answer.get("error")
                        + "; the running master goes on");
            }
            if (!"ready".equals(answer.get("type")) || !(answer.get("pid") instanceof Number pid)) {
                throw new StartupException(StartupException.SETUP, "cannot take over: the running master answered "
                        + answer.get("type") + "; the running master goes on");
            }
            HandedSockets sockets = HandedSockets.of(answer.get("sockets"), connection.takeFds());
            return Optional.of(new HandoverClient(connection, pid.longValue(), running(answer), sockets));
        } catch (IOException e) {
            connection.close();
            throw new StartupException(StartupException.SETUP, "cannot take over: " + e.getMessage()
                    + "; the running master goes on", e);
        } catch (RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    /**
     * Another user's state dir is another user's cluster: its master is theirs to replace (this user could not reach
     * its hand-over socket anyway, and the state dir check would only advise removing a running master's files).
     */
    private static void checkOwner(Path stateDir) {
        int own = dev.herd.os.PrivatePaths.effectiveUid();
        int owner;
        try {
            owner = (Integer) Files.getAttribute(stateDir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return; // none yet, or unreadable: the state dir's own checks say what is wrong
        }
        if (owner != own) {
            throw new StartupException(StartupException.SETUP, "cannot take over: the state dir " + stateDir
                    + " belongs to uid " + owner + ", the running master's user; you are uid " + own
                    + "; take over as that user; the running master goes on");
        }
    }

    long fromPid() {
        return fromPid;
    }

    Running running() {
        return running;
    }

    /** The running master's listening sockets, which came with its answer. */
    HandedSockets sockets() {
        return sockets;
    }

    private static Running running(Map<String, Object> ready) {
        List<String> argv = new java.util.ArrayList<>();
        if (ready.get("argv") instanceof List<?> list) {
            list.forEach(word -> argv.add(String.valueOf(word)));
        }
        Map<String, String> env = new java.util.LinkedHashMap<>();
        if (ready.get("env") instanceof Map<?, ?> map) {
            map.forEach((k, v) -> env.put(String.valueOf(k), String.valueOf(v)));
        }
        int workers = ready.get("workers") instanceof Number n ? n.intValue() : 0;
        return new Running(argv, env, workers, counters(ready));
    }

    /** The counters of the answer; what is not a count is left out (this master then counts from zero there). */
    static CarriedCounters counters(Map<String, Object> ready) {
        Map<Integer, Integer> restarts = new java.util.HashMap<>();
        if (ready.get("restarts") instanceof Map<?, ?> map) {
            map.forEach((slot, count) -> {
                Integer index = integer(slot);
                if (index != null && count instanceof Number n && n.intValue() > 0) {
                    restarts.put(index, n.intValue());
                }
            });
        }
        Map<Long, CarriedCounters.Served> served = new java.util.HashMap<>();
        if (ready.get("served") instanceof Map<?, ?> map) {
            map.forEach((pid, counts) -> {
                Integer number = integer(pid);
                if (number != null && counts instanceof List<?> list && list.size() == 2
                        && list.get(0) instanceof Number connections && list.get(1) instanceof Number requests
                        && connections.longValue() >= 0 && requests.longValue() >= 0) {
                    served.put(number.longValue(), new CarriedCounters.Served(connections.longValue(), requests.longValue()));
                }
            });
        }
        return new CarriedCounters(restarts, served);
    }

    private static Integer integer(Object key) {
        try {
            int value = Integer.parseInt(String.valueOf(key));
            return value >= 0 ? value : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * This master has the lock and the sockets: the old one may let go. Returns once it has closed its control plane
     * and log copier (this master may open its own then); throws when it did not say so, since this master then
     * cannot know whether the old one goes on.
     */
    void confirm() {
        try {
            connection.write(Handover.message("confirm"));
        } catch (IOException e) {
            connection.close();
            throw new StartupException(StartupException.SETUP, "cannot take over: the running master went away before"
                    + " the confirmation (" + e.getMessage() + ")", e);
        }
        confirmed = true;
        try {
            Map<String, Object> answer = connection.read(Handover.ANSWER_LIMIT, Handover.MAX_LINE,
                    "goodbye of the running master");
            if (!"bye".equals(answer.get("type"))) {
                throw new IOException("the running master answered " + answer.get("type") + " instead of bye");
            }
        } catch (IOException e) {
            throw new StartupException(StartupException.SETUP, "cannot take over: the running master (pid " + fromPid
                    + ") did not confirm that it let go (" + e.getMessage() + "); if it still runs, it goes on;"
                    + " if it is gone, run herd run again to adopt its workers", e);
        } finally {
            connection.close();
        }
    }

    boolean confirmed() {
        return confirmed;
    }

    /** Before {@link #confirm}: the running master takes its lock back and goes on. Closes sockets nobody took. */
    @Override
    public void close() {
        connection.close();
        sockets.close();
    }
}
