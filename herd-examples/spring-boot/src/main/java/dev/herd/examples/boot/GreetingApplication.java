package dev.herd.examples.boot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * An ordinary Spring Boot web application: nothing in it knows about Herd. Herd's starter on the class path is
 * what makes it a Herd worker (see the README, "Spring Boot").
 */
@SpringBootApplication
@RestController
public class GreetingApplication {

    public static void main(String[] args) {
        SpringApplication.run(GreetingApplication.class, args);
    }

    @GetMapping("/")
    String hello() {
        return "served by Spring Boot\n";
    }

    /** A request that takes a while: {@code /slow?ms=2000}, at most 30 s. */
    @GetMapping("/slow")
    String slow(@RequestParam(defaultValue = "1000") long ms) throws InterruptedException {
        Thread.sleep(Math.max(0, Math.min(ms, 30_000)));
        return "served by Spring Boot after " + ms + " ms\n";
    }
}
