package dev.herd.logs;

import static dev.herd.logs.Spools.append;
import static dev.herd.logs.Spools.joined;
import static dev.herd.logs.Spools.numbered;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code herd logs -f} and {@code GET /logs?follow=true}: live lines from now on, each once it is in the log, in
 * order; a reader that falls too far behind is cut off rather than slow the copier. Read with a zero wait: the
 * copier is driven by hand, so every line a pass delivers is queued when the pass returns.
 */
class FollowTest {
    @TempDir
    Path logDir;

    private static List<WorkerLogs.Line> drain(WorkerLogs.Follower follower) throws InterruptedException {
        List<WorkerLogs.Line> lines = new ArrayList<>();
        for (WorkerLogs.Line line; (line = follower.next(Duration.ZERO)) != null; ) {
            lines.add(line);
        }
        return lines;
    }

    @Test
    void aFollowerOfASlotGetsEachNewLineOfThatSlotInOrder() throws Exception {
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000_000, 5);
             WorkerLogs.Follower follower = logs.follow(0)) {
            append(logDir, 0, "a\nb\n");
            append(logDir, 1, "other slot\n");
            logs.pollAll(false);
            append(logDir, 0, "c\n");
            logs.pollAll(false);
            assertThat(drain(follower)).containsExactly(new WorkerLogs.Line(0, "a"), new WorkerLogs.Line(0, "b"),
                    new WorkerLogs.Line(0, "c"));
        }
    }

    @Test
    void aFollowerOfAllSlotsGetsEveryLineWithItsSlot() throws Exception {
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000_000, 5);
             WorkerLogs.Follower follower = logs.follow(-1)) {
            append(logDir, 0, "zero\n");
            append(logDir, 2, "two\n");
            logs.pollAll(false);
            assertThat(drain(follower)).containsExactlyInAnyOrder(new WorkerLogs.Line(0, "zero"), new WorkerLogs.Line(2, "two"));
        }
    }

    @Test
    void aFollowerGetsOnlyLinesCopiedAfterItStarted() throws Exception {
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000_000, 5)) {
            append(logDir, 0, "old\n");
            logs.pollAll(false);
            try (WorkerLogs.Follower follower = logs.follow(0)) {
                append(logDir, 0, "new\n");
                logs.pollAll(false);
                assertThat(drain(follower)).containsExactly(new WorkerLogs.Line(0, "new"));
            }
        }
    }

    @Test
    void anUnfinishedLineReachesFollowersOnlyOnceItIsFinished() throws Exception {
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000_000, 5);
             WorkerLogs.Follower follower = logs.follow(0)) {
            append(logDir, 0, "hal");
            logs.pollAll(false);
            assertThat(drain(follower)).isEmpty();
            append(logDir, 0, "f\n");
            logs.pollAll(false);
            assertThat(drain(follower)).containsExactly(new WorkerLogs.Line(0, "half"));
        }
    }

    @Test
    void aLineReachesFollowersOnlyOnceItIsInTheLog() throws Exception {
        List<String> inLogWhenDelivered = new ArrayList<>();
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000_000, 5);
             WorkerLogs.Follower follower = logs.follow(0)) {
            append(logDir, 0, "one\ntwo\n");
            logs.pollAll(false);
            for (WorkerLogs.Line line : drain(follower)) {
                inLogWhenDelivered.add(line.text());
            }
            assertThat(logs.tail(0, 10)).containsAll(inLogWhenDelivered);
        }
        assertThat(inLogWhenDelivered).containsExactly("one", "two");
    }

    @Test
    void closingTheLogsEndsEveryFollowerAfterItsQueuedLinesAndTheLastUnfinishedLine() throws Exception {
        WorkerLogs logs = new WorkerLogs(logDir, 10_000_000, 5);
        WorkerLogs.Follower one = logs.follow(0);
        WorkerLogs.Follower all = logs.follow(-1);
        append(logDir, 0, "done\nhalf");
        logs.pollAll(false);
        logs.close(); // copies what is left, unfinished lines too
        for (WorkerLogs.Follower follower : List.of(one, all)) {
            assertThat(follower.next(Duration.ZERO)).isEqualTo(new WorkerLogs.Line(0, "done"));
            assertThat(follower.next(Duration.ZERO)).isEqualTo(new WorkerLogs.Line(0, "half"));
            WorkerLogs.Line last = follower.next(Duration.ZERO);
            assertThat(last).isNotNull();
            assertThat(follower.isEnd(last)).isTrue();
            assertThat(follower.overflowed()).isFalse();
        }
    }

    @Test
    void followingLogsThatAreClosedEndsAtOnce() throws Exception {
        WorkerLogs logs = new WorkerLogs(logDir, 10_000_000, 5);
        logs.close();
        WorkerLogs.Follower follower = logs.follow(0);
        WorkerLogs.Line first = follower.next(Duration.ZERO);
        assertThat(first).isNotNull();
        assertThat(follower.isEnd(first)).isTrue();
    }

    @Test
    void aClosedFollowerGetsNoMoreLines() throws Exception {
        try (WorkerLogs logs = new WorkerLogs(logDir, 10_000_000, 5)) {
            WorkerLogs.Follower follower = logs.follow(0);
            append(logDir, 0, "before\n");
            logs.pollAll(false);
            follower.close();
            append(logDir, 0, "after\n");
            logs.pollAll(false);
            assertThat(drain(follower)).containsExactly(new WorkerLogs.Line(0, "before"));
        }
    }

    @Test
    void aFollowerThatFallsMoreThanItsQueueBehindIsCutOffWhileOneThatKeepsUpIsNot() throws Exception {
        int half = WorkerLogs.FOLLOW_QUEUE / 2 + 1;
        List<String> written = numbered("f", 2 * half, 16);
        try (WorkerLogs logs = new WorkerLogs(logDir, 100_000_000, 5);
             WorkerLogs.Follower slow = logs.follow(0);
             WorkerLogs.Follower keepsUp = logs.follow(0)) {
            List<String> keptUpWith = new ArrayList<>();
            for (List<String> pass : List.of(written.subList(0, half), written.subList(half, 2 * half))) {
                append(logDir, 0, joined(pass));
                logs.pollAll(false);
                drain(keepsUp).forEach(line -> keptUpWith.add(line.text()));
            }
            assertThat(keptUpWith).isEqualTo(written);
            assertThat(keepsUp.overflowed()).isFalse();

            List<WorkerLogs.Line> slowGot = drain(slow);
            assertThat(slow.overflowed()).isTrue();
            assertThat(slowGot).hasSize(WorkerLogs.FOLLOW_QUEUE + 1);
            assertThat(slowGot.subList(0, WorkerLogs.FOLLOW_QUEUE)).extracting(WorkerLogs.Line::text)
                    .isEqualTo(written.subList(0, WorkerLogs.FOLLOW_QUEUE));
            assertThat(slow.isEnd(slowGot.getLast())).as("then the end of its feed").isTrue();
        }
    }
}
