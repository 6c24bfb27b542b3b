package dev.herd.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.server.context.WebServerApplicationContext;

class HerdAutoConfigurationTest {
    private final WebApplicationContextRunner web = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(HerdAutoConfiguration.class));

    @Test
    void outsideHerdItCreatesNothing() {
        web.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(HerdTomcatCustomizer.class).doesNotHaveBean(HerdJettyCustomizer.class)
                    .doesNotHaveBean(HerdDrainLifecycle.class).doesNotHaveBean(HerdProperties.class);
        });
    }

    @Test
    void underHerdItCustomizesEitherServerWithItsDrain() {
        web.withPropertyValues("HERD_WORKER_ID=3").run(context -> {
            assertThat(context).hasSingleBean(HerdTomcatCustomizer.class).hasSingleBean(HerdJettyCustomizer.class);
            assertThat(context.getBeansOfType(HerdDrainLifecycle.class)).hasSize(2);
            assertThat(context.getBean(HerdProperties.class).drainIdleTimeout()).hasSeconds(3);
        });
    }

    @Test
    void herdEnabledFalseTurnsItOffUnderHerdToo() {
        web.withPropertyValues("HERD_WORKER_ID=3", "herd.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(HerdDrainLifecycle.class));
    }

    @Test
    void theDrainIdleTimeoutIsASetting() {
        web.withPropertyValues("HERD_WORKER_ID=3", "herd.drain-idle-timeout=750ms")
                .run(context -> assertThat(context.getBean(HerdProperties.class).drainIdleTimeout()).hasMillis(750));
    }

    @Test
    void aNegativeDrainIdleTimeoutFailsTheStartNamingTheSetting() {
        web.withPropertyValues("HERD_WORKER_ID=3", "herd.drain-idle-timeout=-1s").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                    .hasMessageContaining("herd.drain-idle-timeout must not be negative");
        });
    }

    @Test
    void aNonWebApplicationIsLeftAlone() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(HerdAutoConfiguration.class))
                .withPropertyValues("HERD_WORKER_ID=3")
                .run(context -> assertThat(context).doesNotHaveBean(HerdDrainLifecycle.class));
    }

    @Test
    void theDrainStopsJustBeforeSpringsGracefulShutdown() throws Exception {
        int[] drains = {0};
        HerdDrainLifecycle lifecycle = new HerdDrainLifecycle(() -> drains[0]++);
        // SmartLifecycle: a higher phase stops earlier
        assertThat(lifecycle.getPhase()).isEqualTo(WebServerApplicationContext.GRACEFUL_SHUTDOWN_PHASE + 1);
        assertThat(lifecycle.isPauseable()).as("a context stop() and start() must not leave the server drained")
                .isFalse();
        lifecycle.start();
        assertThat(lifecycle.isRunning()).isTrue();
        lifecycle.stop();
        assertThat(drains[0]).isEqualTo(1);
        assertThat(lifecycle.isRunning()).isFalse();
    }
}
