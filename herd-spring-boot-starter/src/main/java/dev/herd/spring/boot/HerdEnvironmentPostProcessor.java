package dev.herd.spring.boot;

import java.time.Duration;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/**
 * Under Herd, the settings a worker needs whatever the application's files say, and defaults that suit Herd:
 *
 * <ul>
 *   <li>in the modes where each worker binds a private port (proxy, nat): {@code server.port} and
 *   {@code server.address} are Herd's {@code HERD_PORT} and {@code HERD_HOST}, above the application's
 *   configuration files (command-line arguments, system properties and {@code SERVER_PORT} still win);</li>
 *   <li>defaults, below everything else: {@code server.shutdown=graceful} and a
 *   {@code spring.lifecycle.timeout-per-shutdown-phase} that fits Herd's {@code --drain-timeout} (which Herd gives
 *   as {@code HERD_DRAIN_TIMEOUT_MS}; after it Herd kills the worker): that timeout less the starter's drain
 *   ({@code herd.drain-idle-timeout}, 3 s) and 7 s for the rest, at least 1 s; 20 s with Herd's default 30 s
 *   (Spring's own default, 30 s, would not fit).</li>
 * </ul>
 */
public final class HerdEnvironmentPostProcessor implements EnvironmentPostProcessor {
    static final String OWN_PORT_SOURCE = "herd-own-port";
    static final String DEFAULTS_SOURCE = "herd-defaults";
    private static final Duration HERD_DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);
    /** For the drain's steps when the server is slow to confirm, and the context's phases after the web server's. */
    static final Duration MARGIN = Duration.ofSeconds(7);

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!HerdWorkerEnvironment.active(environment)) {
            return;
        }
        if (HerdWorkerEnvironment.ownPort(environment)) {
            MapPropertySource ownPort = new MapPropertySource(OWN_PORT_SOURCE, Map.of(
                    "server.port", environment.getProperty(HerdWorkerEnvironment.PRIVATE_PORT),
                    "server.address", environment.getProperty(HerdWorkerEnvironment.PRIVATE_HOST)));
            if (environment.getPropertySources()
                    .contains(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME)) {
                environment.getPropertySources()
                        .addAfter(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, ownPort);
            } else {
                environment.getPropertySources().addFirst(ownPort);
            }
        }
        environment.getPropertySources().addLast(new MapPropertySource(DEFAULTS_SOURCE, Map.of(
                "server.shutdown", "graceful",
                "spring.lifecycle.timeout-per-shutdown-phase", phaseTimeout(environment).toMillis() + "ms")));
    }

    /**
     * Herd's {@code --drain-timeout} ({@code HERD_DRAIN_TIMEOUT_MS}, 30 s when not given) less the drain's idle
     * wait and {@link #MARGIN} for the drain's other steps and the rest of the context's close; at least 1 s.
     */
    static Duration phaseTimeout(ConfigurableEnvironment environment) {
        String drainMillis = environment.getProperty(HerdWorkerEnvironment.DRAIN_TIMEOUT);
        Duration drain = HERD_DEFAULT_DRAIN_TIMEOUT;
        if (drainMillis != null) {
            try {
                drain = Duration.ofMillis(Long.parseLong(drainMillis.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalStateException(HerdWorkerEnvironment.DRAIN_TIMEOUT + " is '" + drainMillis
                        + "', not a number of milliseconds: it is Herd's to set; unset it", e);
            }
        }
        String idle = environment.getProperty("herd.drain-idle-timeout");
        Duration drainIdle = idle == null ? Duration.ofSeconds(3) : DurationStyle.detectAndParse(idle);
        Duration left = drain.minus(drainIdle).minus(MARGIN);
        return left.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : left;
    }
}
