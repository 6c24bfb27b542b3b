package dev.herd.spring.boot;

import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
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
 *   <li>defaults, below everything else: {@code server.shutdown=graceful} and
 *   {@code spring.lifecycle.timeout-per-shutdown-phase=20s}: with the starter's drain before it (at most
 *   {@code herd.drain-idle-timeout}, 3 s, and a few seconds more when the server is stuck) and the context's other
 *   phases after it, the worker still exits within Herd's default {@code --drain-timeout} of 30 s, after which Herd
 *   kills it (Spring's own 30 s default would not).</li>
 * </ul>
 */
public final class HerdEnvironmentPostProcessor implements EnvironmentPostProcessor {
    static final String OWN_PORT_SOURCE = "herd-own-port";
    static final String DEFAULTS_SOURCE = "herd-defaults";

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
                "spring.lifecycle.timeout-per-shutdown-phase", "20s")));
    }
}
