package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herd.ListenMode;
import org.junit.jupiter.api.Test;

class CarriersTest {
    @Test
    void theSocketModesGetOneCarrier() {
        assertThat(Carriers.parallelismFor(ListenMode.SHARED, null)).contains("1");
        assertThat(Carriers.parallelismFor(ListenMode.REUSEPORT, null)).contains("1");
    }

    @Test
    void theModesThatForwardBytesKeepTheJdksDefault() {
        assertThat(Carriers.parallelismFor(ListenMode.PROXY, null)).isEmpty();
        assertThat(Carriers.parallelismFor(ListenMode.NAT, null)).isEmpty();
    }

    @Test
    void aValueGivenOnTheCommandLineIsKept() {
        assertThat(Carriers.parallelismFor(ListenMode.SHARED, "2")).isEmpty();
    }
}
