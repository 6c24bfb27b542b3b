package dev.herd.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herd.ListenMode;
import org.junit.jupiter.api.Test;

/** A worker that binds the port itself is recognised by what each runtime prints, only where Herd hands it over. */
class OwnBindTest {

    @Test
    void eachRuntimesWordsForAPortInUseAreRecognised() {
        for (String output : new String[] {
                "java.io.IOException: Failed to bind to 0.0.0.0/0.0.0.0:8080\nCaused by: java.net.BindException: Address already in use",
                "Error: listen EADDRINUSE: address already in use :::8080",
                "OSError: [Errno 98] Address already in use",
                "listen tcp :8080: bind: address already in use"}) {
            assertThat(OwnBind.saidSo(ListenMode.SHARED, output)).as(output).isTrue();
            assertThat(OwnBind.saidSo(ListenMode.REUSEPORT, output)).as(output).isTrue();
        }
    }

    @Test
    void otherFailuresAndTheModesWhereWorkersBindTheirOwnPortAreNot() {
        assertThat(OwnBind.saidSo(ListenMode.SHARED, "Error: Could not find or load main class App")).isFalse();
        assertThat(OwnBind.saidSo(ListenMode.SHARED, null)).isFalse();
        assertThat(OwnBind.saidSo(ListenMode.PROXY, "java.net.BindException: Address already in use")).isFalse();
        assertThat(OwnBind.saidSo(ListenMode.NAT, "java.net.BindException: Address already in use")).isFalse();
    }

    @Test
    void theHintNamesThePortAndWhereTheSocketIs() {
        assertThat(OwnBind.hint(8080, 0)).contains("binds port 8080 itself", "fd 0", "System.inheritedChannel()");
        assertThat(OwnBind.hint(8080, 3)).contains("fd 3", "LISTEN_FDS=1");
    }
}
