package dev.herd.examples.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class IdentityTest {

    @Test
    void jsonCarriesSlotPidGenerationAppAndVersion() {
        String json = new String(new Identity(1, 99, 2, "v2").json(), StandardCharsets.UTF_8);
        assertThat(json).isEqualTo("{\"slot\":1,\"pid\":99,\"generation\":2,\"app\":\"herd-jetty\",\"version\":\"v2\"}\n");
    }

    @Test
    void missingVersionDefaultsToV1() {
        assertThat(new Identity(0, 1, 0, null).version()).isEqualTo("v1");
        assertThat(new Identity(0, 1, 0, "").version()).isEqualTo("v1");
    }

    @Test
    void versionIsEscapedInJson() {
        String json = new String(new Identity(0, 1, 0, "a\"b\\c\n").json(), StandardCharsets.UTF_8);
        assertThat(json).contains("\"version\":\"a\\\"b\\\\c\\n\"");
    }

    @Test
    void logPrefixNamesTheWorker() {
        assertThat(new Identity(4, 123, 5, "v3").logPrefix())
                .isEqualTo("herd-jetty slot=4 pid=123 generation=5 version=v3");
    }
}
