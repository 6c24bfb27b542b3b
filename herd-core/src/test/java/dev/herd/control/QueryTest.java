package dev.herd.control;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class QueryTest {
    @Test
    void decodesRepeatedParametersInOrder() {
        Query query = Query.parse("arg=a&arg=b%20c&cmd=restart+all&flag&empty=");
        assertThat(query.all("arg")).containsExactly("a", "b c");
        assertThat(query.first("cmd")).isEqualTo("restart all");
        assertThat(query.first("flag")).isEmpty();
        assertThat(query.first("empty")).isEmpty();
        assertThat(query.first("missing")).isNull();
        assertThat(query.all("missing")).isEmpty();
    }

    @Test
    void aMalformedEscapeLeavesThatParameterOut() {
        Query query = Query.parse("slot=%zz&lines=5&arg=%");
        assertThat(query.first("slot")).isNull();
        assertThat(query.first("lines")).isEqualTo("5");
        assertThat(query.all("arg")).isEqualTo(List.of());
    }

    @Test
    void noQueryIsEmpty() {
        assertThat(Query.parse(null).params()).isEmpty();
        assertThat(Query.parse("").params()).isEmpty();
    }
}
