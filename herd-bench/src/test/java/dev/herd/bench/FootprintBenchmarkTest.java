package dev.herd.bench;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FootprintBenchmarkTest {

    @Test
    void configSpecsNameThenSettings() {
        FootprintBenchmark.Config c = FootprintBenchmark.Config.parse("c1;opts=-XX:TieredStopAtLevel=1 -Xss512k;env=HERD_AOT=0");
        assertThat(c.name()).isEqualTo("c1");
        assertThat(c.javaOpts()).isEqualTo("-XX:TieredStopAtLevel=1 -Xss512k");
        assertThat(c.env()).isEqualTo(Map.of("HERD_AOT", "0"));
        assertThat(c.root()).isNull();
        assertThat(FootprintBenchmark.Config.parse("before;commit=8c5b42e").commit()).isEqualTo("8c5b42e");
        assertThat(FootprintBenchmark.Config.parse("plain").javaOpts()).isNull();
        assertThatThrownBy(() -> FootprintBenchmark.Config.parse("x;flavour=1")).hasMessageContaining("unknown setting");
        assertThatThrownBy(() -> FootprintBenchmark.Config.parse("x;root=/a;commit=b")).hasMessageContaining("exclude");
        assertThatThrownBy(() -> FootprintBenchmark.Config.parse(";opts=-Xss1m")).hasMessageContaining("name");
    }

    @Test
    void cpuTicksAreCountedFromTheLastParenthesis() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        String stat = "4242 (a) b) c) S 1 4242 4242 0 -1 4194560 900 0 3 0 17 5 0 0 20 0 27 0 100 0 0";
        assertThat(ProcSample.cpuTicks(stat)).isEqualTo(22);
    }

    @Test
    void kbLinesOfProcFiles() {
        assertThat(ProcSample.kb("Name:\tjava\nVmRSS:\t   93684 kB\nRssAnon:\t   60000 kB\nThreads:\t27\n"))
                .containsEntry("VmRSS", 93684L).containsEntry("RssAnon", 60000L).doesNotContainKey("Threads");
    }

    @Test
    void medianWithRangeOverTheValuesMeasured() {
        List<FootprintBenchmark.Sample> samples = List.of(sample(1, 300), sample(2, 100), sample(3, 200), sample(4, -1));
        assertThat(FootprintReport.stat(samples, FootprintBenchmark.Sample::listeningMs, "%.0f")).isEqualTo("200 (100–300)");
        assertThat(FootprintReport.stat(samples.subList(0, 2), FootprintBenchmark.Sample::listeningMs, "%.0f"))
                .isEqualTo("200 (100–300)");
        assertThat(FootprintReport.stat(List.of(sample(1, -1)), FootprintBenchmark.Sample::listeningMs, "%.0f")).isEqualTo("–");
    }

    private static FootprintBenchmark.Sample sample(int run, long listeningMs) {
        return new FootprintBenchmark.Sample("c", run, listeningMs, -1, -1, -1, null, null, null, -1, -1, 0, null);
    }
}
