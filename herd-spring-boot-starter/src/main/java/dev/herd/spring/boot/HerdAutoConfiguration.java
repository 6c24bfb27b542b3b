package dev.herd.spring.boot;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;

/**
 * Herd's starter: when the application runs as a Herd worker (Herd sets {@code HERD_WORKER_ID}), its embedded
 * Tomcat or Jetty serves on the socket Herd hands over and drains before Spring's graceful shutdown. Outside Herd,
 * or with {@code herd.enabled=false}, nothing of it is created.
 */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@Conditional(OnHerdWorkerCondition.class)
@EnableConfigurationProperties(HerdProperties.class)
public class HerdAutoConfiguration {

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"org.apache.catalina.startup.Tomcat",
            "org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory"})
    static class TomcatConfiguration {

        @Bean
        HerdTomcatCustomizer herdTomcatCustomizer(HerdProperties properties) {
            return new HerdTomcatCustomizer(properties);
        }

        @Bean
        HerdDrainLifecycle herdTomcatDrain(HerdTomcatCustomizer customizer) {
            return new HerdDrainLifecycle(customizer::drain);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"org.eclipse.jetty.server.Server",
            "org.springframework.boot.jetty.servlet.JettyServletWebServerFactory"})
    static class JettyConfiguration {

        @Bean
        HerdJettyCustomizer herdJettyCustomizer(HerdProperties properties) {
            return new HerdJettyCustomizer(properties);
        }

        @Bean
        HerdDrainLifecycle herdJettyDrain(HerdJettyCustomizer customizer) {
            return new HerdDrainLifecycle(customizer::drain);
        }
    }
}
