package dev.herd.control;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.util.Set;
import java.util.function.Function;

/**
 * A path's methods: any other is 405 with {@code Allow} and a message saying what to use. As a {@link Filter}
 * for paths with fixed methods, or {@link #refuse} where the methods depend on the request (a command).
 */
final class AllowedMethods extends Filter {
    private final Set<String> methods;
    private final String allow;
    private final Function<String, String> message;

    /**
     * @param methods the methods let through (HEAD is not implied)
     * @param allow   the {@code Allow} header
     * @param message the error for a refused method, given it
     */
    AllowedMethods(Set<String> methods, String allow, Function<String, String> message) {
        this.methods = Set.copyOf(methods);
        this.allow = allow;
        this.message = message;
    }

    /** GET (and HEAD) only, for the read-only pages and streams. */
    static AllowedMethods get() {
        return new AllowedMethods(Set.of("GET", "HEAD"), "GET",
                method -> "method " + Exchanges.clip(method) + " is not allowed here; use GET");
    }

    @Override
    public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
        if (methods.contains(exchange.getRequestMethod())) {
            chain.doFilter(exchange);
        } else {
            refuse(exchange, allow, message.apply(exchange.getRequestMethod()));
        }
    }

    static void refuse(HttpExchange exchange, String allow, String message) throws IOException {
        exchange.getResponseHeaders().add("Allow", allow);
        Exchanges.error(exchange, 405, message);
    }

    @Override
    public String description() {
        return "herd: methods " + methods;
    }
}
