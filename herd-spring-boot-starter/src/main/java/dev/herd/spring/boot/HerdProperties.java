package dev.herd.spring.boot;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The starter's settings ({@code herd.*}).
 *
 * @param enabled          false turns the starter off, under Herd too
 * @param drainIdleTimeout how long a drain waits for keep-alive clients to leave (each is told
 *                         {@code Connection: close} on its next response) before Spring's graceful shutdown
 */
@ConfigurationProperties("herd")
public record HerdProperties(@DefaultValue("true") boolean enabled, @DefaultValue("3s") Duration drainIdleTimeout) {

    public HerdProperties {
        if (drainIdleTimeout.isNegative()) {
            throw new IllegalArgumentException("herd.drain-idle-timeout must not be negative, not " + drainIdleTimeout);
        }
    }
}
