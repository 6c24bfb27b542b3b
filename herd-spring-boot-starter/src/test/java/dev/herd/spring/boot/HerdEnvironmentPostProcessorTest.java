package dev.herd.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

class HerdEnvironmentPostProcessorTest {
    private final HerdEnvironmentPostProcessor processor = new HerdEnvironmentPostProcessor();

    /** An environment as Boot makes it: Herd's variables among the process's, the application's file last. */
    private static StandardEnvironment environment(Map<String, Object> herdVariables) {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addBefore(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                new MapPropertySource("herd-variables", herdVariables));
        environment.getPropertySources().addLast(new MapPropertySource("application.properties",
                Map.of("server.port", "8080", "server.address", "0.0.0.0")));
        return environment;
    }

    @Test
    void outsideHerdItAddsNothing() {
        StandardEnvironment environment = environment(Map.of());
        int sources = environment.getPropertySources().size();
        processor.postProcessEnvironment(environment, new SpringApplication());
        assertThat(environment.getPropertySources().size()).isEqualTo(sources);
        assertThat(environment.getProperty("server.port")).isEqualTo("8080");
        assertThat(environment.getProperty("server.shutdown")).isNull();
    }

    @Test
    void inSharedModeOnlyDefaultsBelowTheApplicationsOwn() {
        StandardEnvironment environment = environment(Map.of("HERD_WORKER_ID", "0", "HERD_PORT", "8080"));
        environment.getPropertySources().addLast(new MapPropertySource("application.yaml",
                Map.of("spring.lifecycle.timeout-per-shutdown-phase", "10s")));
        processor.postProcessEnvironment(environment, new SpringApplication());
        assertThat(environment.getProperty("server.shutdown")).isEqualTo("graceful");
        assertThat(environment.getProperty("spring.lifecycle.timeout-per-shutdown-phase")).isEqualTo("10s");
        assertThat(environment.getPropertySources().contains(HerdEnvironmentPostProcessor.OWN_PORT_SOURCE)).isFalse();
    }

    @Test
    void inOwnPortModesHerdsPrivatePortBeatsTheApplicationsFile() {
        StandardEnvironment environment = environment(Map.of("HERD_WORKER_ID", "1", "HERD_PORT", "41234",
                "HERD_HOST", "127.0.0.1"));
        processor.postProcessEnvironment(environment, new SpringApplication());
        assertThat(environment.getProperty("server.port")).isEqualTo("41234");
        assertThat(environment.getProperty("server.address")).isEqualTo("127.0.0.1");
        assertThat(environment.getProperty("spring.lifecycle.timeout-per-shutdown-phase")).isEqualTo("20000ms");
    }

    @Test
    void springsPhaseTimeoutFitsHerdsDrainTimeout() {
        StandardEnvironment tight = environment(Map.of("HERD_WORKER_ID", "1", "HERD_DRAIN_TIMEOUT_MS", "15000"));
        processor.postProcessEnvironment(tight, new SpringApplication());
        assertThat(tight.getProperty("spring.lifecycle.timeout-per-shutdown-phase")).isEqualTo("5000ms");
        StandardEnvironment shortIdle = environment(Map.of("HERD_WORKER_ID", "1", "HERD_DRAIN_TIMEOUT_MS", "60000",
                "herd.drain-idle-timeout", "500ms"));
        processor.postProcessEnvironment(shortIdle, new SpringApplication());
        assertThat(shortIdle.getProperty("spring.lifecycle.timeout-per-shutdown-phase")).isEqualTo("52500ms");
        StandardEnvironment tiny = environment(Map.of("HERD_WORKER_ID", "1", "HERD_DRAIN_TIMEOUT_MS", "2000"));
        processor.postProcessEnvironment(tiny, new SpringApplication());
        assertThat(tiny.getProperty("spring.lifecycle.timeout-per-shutdown-phase")).isEqualTo("1000ms");
    }

    @Test
    void aMalformedDrainTimeoutVariableNamesIt() {
        StandardEnvironment environment = environment(Map.of("HERD_WORKER_ID", "1", "HERD_DRAIN_TIMEOUT_MS", "soon"));
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> processor.postProcessEnvironment(environment, new SpringApplication()))
                .hasMessageContaining("HERD_DRAIN_TIMEOUT_MS is 'soon', not a number of milliseconds");
    }

    @Test
    void aCommandLineArgumentStillBeatsIt() {
        StandardEnvironment environment = environment(Map.of("HERD_WORKER_ID", "1", "HERD_PORT", "41234",
                "HERD_HOST", "127.0.0.1"));
        environment.getPropertySources().addFirst(new MapPropertySource("commandLineArgs",
                Map.of("server.port", "9000")));
        processor.postProcessEnvironment(environment, new SpringApplication());
        assertThat(environment.getProperty("server.port")).isEqualTo("9000");
    }

    @Test
    void herdEnabledFalseAddsNothing() {
        StandardEnvironment environment = environment(Map.of("HERD_WORKER_ID", "1", "HERD_PORT", "41234",
                "HERD_HOST", "127.0.0.1", "herd.enabled", "false"));
        processor.postProcessEnvironment(environment, new SpringApplication());
        assertThat(environment.getProperty("server.port")).isEqualTo("8080");
        assertThat(environment.getProperty("server.shutdown")).isNull();
    }
}
