package dev.herd.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import org.junit.jupiter.api.Test;

/** One reader's bounded queue: the source never waits, a reader too far behind is cut off and leaves. */
class LiveFeedTest {
    private static final String END = "<end>";
    private final Set<LiveFeed<String>> readers = new CopyOnWriteArraySet<>();

    private LiveFeed<String> feed(int capacity) {
        LiveFeed<String> feed = new LiveFeed<>(END, readers, capacity);
        readers.add(feed);
        return feed;
    }

    @Test
    void aReaderGetsTheItemsInOrderThenTheEndWhenTheSourceStops() throws Exception {
        LiveFeed<String> feed = feed(3);
        feed.offer("a");
        feed.offer("b");
        feed.end();
        assertThat(feed.next(Duration.ZERO)).isEqualTo("a");
        assertThat(feed.next(Duration.ZERO)).isEqualTo("b");
        String last = feed.next(Duration.ZERO);
        assertThat(feed.isEnd(last)).isTrue();
        assertThat(feed.overflowed()).isFalse();
    }

    @Test
    void nothingQueuedGivesNullAfterTheWait() throws Exception {
        assertThat(feed(3).next(Duration.ZERO)).isNull();
    }

    @Test
    void aReaderExactlyCapacityBehindIsNotCutOffAndStillGetsTheEnd() throws Exception {
        LiveFeed<String> feed = feed(3);
        feed.offer("1");
        feed.offer("2");
        feed.offer("3");
        assertThat(feed.overflowed()).isFalse();
        assertThat(readers).contains(feed);
        feed.end();
        assertThat(feed.next(Duration.ZERO)).isEqualTo("1");
        assertThat(feed.next(Duration.ZERO)).isEqualTo("2");
        assertThat(feed.next(Duration.ZERO)).isEqualTo("3");
        assertThat(feed.isEnd(feed.next(Duration.ZERO))).isTrue();
    }

    @Test
    void aReaderMoreThanCapacityBehindIsCutOffGetsWhatWasQueuedThenTheEndAndLeavesTheSource() throws Exception {
        LiveFeed<String> feed = feed(3);
        for (int i = 1; i <= 10; i++) {
            feed.offer(Integer.toString(i)); // never blocks
        }
        assertThat(feed.overflowed()).isTrue();
        assertThat(readers).doesNotContain(feed);
        feed.end(); // the source stopping later changes nothing
        assertThat(feed.next(Duration.ZERO)).isEqualTo("1");
        assertThat(feed.next(Duration.ZERO)).isEqualTo("2");
        assertThat(feed.next(Duration.ZERO)).isEqualTo("3");
        assertThat(feed.isEnd(feed.next(Duration.ZERO))).isTrue();
        assertThat(feed.next(Duration.ZERO)).as("nothing after the end").isNull();
    }

    @Test
    void closingAReaderRemovesItFromTheSource() {
        LiveFeed<String> feed = feed(3);
        LiveFeed<String> other = feed(3);
        feed.close();
        assertThat(readers).containsExactly(other);
    }

    @Test
    void theEndIsTheMarkerItselfNotAnItemEqualToIt() {
        LiveFeed<String> feed = feed(3);
        assertThat(feed.isEnd(new String(END))).isFalse();
        assertThat(feed.isEnd(END)).isTrue();
    }
}
