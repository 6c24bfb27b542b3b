package dev.herd.control;

import dev.herd.Event;
import dev.herd.command.ClusterStatus;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * cluster2's ECV ("extended content verification") check for load balancers: {@code GET /ecv} says whether this
 * machine should get traffic. AVAILABLE (200) while enabled and the service answers; WARNING (500) when no worker
 * is ready or the monitor path does not answer 2xx; DISABLED (400) after an operator took it out of rotation.
 */
final class Ecv {
    /** How long the monitor path may take before the check counts it as failing. */
    static final Duration MONITOR_TIMEOUT = Duration.ofSeconds(2);

    enum State {
        AVAILABLE(200), WARNING(500), DISABLED(400);

        final int httpStatus;

        State(int httpStatus) {
            this.httpStatus = httpStatus;
        }
    }

    /** @param reason why it is not AVAILABLE, for the operator (null when it is) */
    record Check(State state, String reason) {
    }

    private final InetSocketAddress service;
    private final String monitorPath;
    private final Supplier<ClusterStatus> status;
    private final InstantSource clock;
    private final HttpClient client;
    private volatile boolean enabled = true;
    private volatile Instant since;
    /** Where a change by an operator is told (the supervisor, which logs it and streams it). */
    private volatile Consumer<Event> events = event -> { };

    /**
     * @param service     the address clients connect to (a wildcard address is checked over loopback)
     * @param monitorPath a path on the service that must answer 2xx, or null
     * @param status      a current snapshot of the cluster
     */
    Ecv(InetSocketAddress service, String monitorPath, Supplier<ClusterStatus> status, InstantSource clock) {
        this.service = service;
        this.monitorPath = monitorPath;
        this.status = status;
        this.clock = clock;
        this.since = clock.instant();
        this.client = monitorPath == null ? null
                : HttpClient.newBuilder().connectTimeout(MONITOR_TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** Where {@code ecv.enabled} and {@code ecv.disabled} events go. */
    void reportTo(Consumer<Event> sink) {
        this.events = sink;
    }

    /** Idempotent; returns the time of the last change. */
    Instant enable() {
        return set(true);
    }

    Instant disable() {
        return set(false);
    }

    private synchronized Instant set(boolean enable) {
        if (enabled != enable) {
            enabled = enable;
            since = clock.instant();
            events.accept(new Event.EcvChanged(since, enable));
        }
        return since;
    }

    /** The service path a check also asks, or null. */
    String monitorPath() {
        return monitorPath;
    }

    boolean enabled() {
        return enabled;
    }

    /** When the ECV was last enabled or disabled (or the master started). */
    Instant since() {
        return since;
    }

    /** Looks now: blocks for up to {@link #MONITOR_TIMEOUT} when a monitor path is set. */
    Check check() {
        if (!enabled) {
            return new Check(State.DISABLED, "taken out of rotation by an operator (POST /ecv/enable brings it back)");
        }
        long ready;
        try {
            ready = status.get().workers().stream().filter(w -> !w.retired() && w.state() == dev.herd.command.WorkerState.READY).count();
        } catch (java.util.concurrent.CompletionException e) {
            return new Check(State.WARNING, e.getCause() == null ? String.valueOf(e) : e.getCause().getMessage());
        }
        if (ready == 0) {
            return new Check(State.WARNING, "no worker is ready");
        }
        if (monitorPath == null) {
            return new Check(State.AVAILABLE, null);
        }
        URI uri = URI.create("http://" + hostForUri(probeAddress()) + ":" + service.getPort() + monitorPath);
        try {
            HttpResponse<Void> response = client.send(HttpRequest.newBuilder(uri).timeout(MONITOR_TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            return response.statusCode() / 100 == 2 ? new Check(State.AVAILABLE, null)
                    : new Check(State.WARNING, "monitor " + monitorPath + " answered " + response.statusCode());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Check(State.WARNING, "interrupted while checking monitor " + monitorPath);
        } catch (java.io.IOException e) {
            return new Check(State.WARNING, "monitor " + monitorPath + " failed: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        }
    }

    /** cluster2's body: {@code status=AVAILABLE&ServeTraffic=true&ip=...&hostname=...&port=...&time=...}. */
    String body(State state) {
        return "status=" + state.name() + "&ServeTraffic=" + (state == State.AVAILABLE) + "&ip="
                + service.getAddress().getHostAddress() + "&hostname=" + hostname() + "&port=" + service.getPort()
                + "&time=" + httpDate(clock.instant());
    }

    static String httpDate(Instant at) {
        return DateTimeFormatter.RFC_1123_DATE_TIME.format(at.atOffset(ZoneOffset.UTC));
    }

    private InetAddress probeAddress() {
        InetAddress address = service.getAddress();
        if (!address.isAnyLocalAddress()) {
            return address;
        }
        return InetAddress.getLoopbackAddress();
    }

    private static String hostForUri(InetAddress address) {
        return address instanceof Inet6Address ? "[" + address.getHostAddress() + "]" : address.getHostAddress();
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }
}
