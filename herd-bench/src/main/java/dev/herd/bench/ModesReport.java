package dev.herd.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * The modes benchmark's tables: per variant its mean, its ratio to the reference of its target (paired by round,
 * with a 95% interval) and whether the target is met; and every round's figures.
 */
final class ModesReport {
    /** One of issue 4's targets: at least {@code ratio} times the reference variant's req/s. */
    record Target(String reference, String referenceName, double ratio) {
        String describe() {
            return String.format(Locale.ROOT, "≥ %.2f × %s", ratio, referenceName);
        }
    }

    static final Target SOCKET_MODES_VS_DIRECT = new Target("direct", "direct", 0.97);
    static final Target PROXY_VS_HAPROXY = new Target("haproxy", "HAProxy", 1.00);

    private final ModesBenchmark.Options o;
    private final List<ModesBenchmark.Run> runs;
    private final Map<String, String> notStarted;

    ModesReport(ModesBenchmark.Options o, List<ModesBenchmark.Run> runs, Map<String, String> notStarted) {
        this.o = o;
        this.runs = List.copyOf(runs);
        this.notStarted = Map.copyOf(notStarted);
    }

    ModesBenchmark.Options options() {
        return o;
    }

    Optional<Wrk.Result> result(String variant, int round) {
        return runs.stream().filter(r -> r.variant().equals(variant) && r.round() == round && r.result() != null)
                .map(ModesBenchmark.Run::result).findFirst();
    }

    /** Per round (index 0 = round 1), the variant's req/s, or null where it was not measured. */
    List<Double> perRoundRps(String variant) {
        List<Double> values = new ArrayList<>();
        for (int round = 1; round <= o.rounds(); round++) {
            values.add(result(variant, round).map(Wrk.Result::requestsPerSecond).orElse(null));
        }
        return values;
    }

    /** The variant's measured runs, in the order they ran. */
    private Stream<Wrk.Result> results(String variant) {
        return runs.stream().filter(r -> r.variant().equals(variant) && r.result() != null)
                .map(ModesBenchmark.Run::result);
    }

    private OptionalDouble mean(String variant, ToDoubleFunction<Wrk.Result> value) {
        return results(variant).mapToDouble(value).average();
    }

    /** The median over the rounds: a round that a stall of the machine hit (p99 of 200 ms once) does not move it. */
    private OptionalDouble median(String variant, ToDoubleFunction<Wrk.Result> value) {
        double[] sorted = results(variant).mapToDouble(value).sorted().toArray();
        if (sorted.length == 0) {
            return OptionalDouble.empty();
        }
        int mid = sorted.length / 2;
        return OptionalDouble.of(sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2);
    }

    PairedRatio ratio(String variant, String reference) {
        return PairedRatio.of(perRoundRps(variant), perRoundRps(reference));
    }

    /** The target for this variant, if it sets one. */
    static Optional<Target> targetOf(String variant) {
        return switch (ModesBenchmark.base(variant)) {
            case "shared", "reuseport", "sticky" -> Optional.of(SOCKET_MODES_VS_DIRECT);
            case "proxy" -> Optional.of(PROXY_VS_HAPROXY);
            default -> Optional.empty();
        };
    }

    String table() {
        StringBuilder b = new StringBuilder();
        b.append("| variant | req/s mean | vs direct (95% interval) | vs HAProxy (95% interval) | p99 median | errors (socket / non-2xx) | target | met |\n");
        b.append("|---|---:|---:|---:|---:|---:|---|---|\n");
        for (String v : o.variants()) {
            OptionalDouble rps = mean(v, Wrk.Result::requestsPerSecond);
            OptionalDouble p99 = median(v, Wrk.Result::p99Millis);
            long socket = results(v).mapToLong(Wrk.Result::socketErrors).sum();
            long non2xx = results(v).mapToLong(Wrk.Result::non2xx).sum();
            String vsDirect = v.equals("direct") ? "1.00" : ratio(v, "direct").describe();
            String vsHaproxy = switch (ModesBenchmark.base(v)) {
                case "proxy", "floor" -> ratio(v, "haproxy").describe();
                case "haproxy" -> "1.00";
                default -> "";
            };
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %d / %d | %s | %s |\n",
                    ModesBenchmark.label(v, o),
                    rps.isPresent() ? String.format(Locale.ROOT, "%,.0f", rps.getAsDouble()) : "–",
                    vsDirect, vsHaproxy, p99.isPresent() ? ms(p99.getAsDouble()) : "–", socket, non2xx, target(v),
                    met(v)));
        }
        return b.toString();
    }

    private static String target(String variant) {
        return targetOf(variant).map(Target::describe).orElseGet(() -> switch (ModesBenchmark.base(variant)) {
            case "nat" -> "none (issue 4 sets none: kernel NAT, not a socket mode)";
            case "direct" -> "baseline";
            case "floor" -> "none (what a proxy doing nothing but recv and send costs)";
            default -> "reference";
        });
    }

    /** yes/no on the mean of the paired ratios; the ratio's interval (in its column) says how sure that is. */
    String met(String variant) {
        Optional<Target> target = targetOf(variant);
        if (target.isEmpty()) {
            return "";
        }
        PairedRatio r = ratio(variant, target.get().reference());
        if (!r.measured()) {
            return "–";
        }
        return r.mean() >= target.get().ratio() ? "yes" : "**no**";
    }

    /** Every round's req/s and p99, rounds as columns. */
    String perRound() {
        StringBuilder b = new StringBuilder("| variant |");
        StringBuilder rule = new StringBuilder("|---|");
        for (int round = 1; round <= o.rounds(); round++) {
            b.append(" round ").append(round).append(" |");
            rule.append("---:|");
        }
        b.append('\n').append(rule).append('\n');
        for (String v : o.variants()) {
            b.append("| ").append(ModesBenchmark.base(v)).append(v.contains(":") ? v.substring(v.indexOf(':')) : "").append(" |");
            for (int round = 1; round <= o.rounds(); round++) {
                b.append(' ').append(result(v, round).map(r -> String.format(Locale.ROOT, "%,.0f / %s",
                        r.requestsPerSecond(), ms(r.p99Millis()))).orElse("–")).append(" |");
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** A line per variant that did not start and per run that failed. */
    List<String> problems() {
        List<String> lines = new ArrayList<>();
        notStarted.forEach((variant, error) -> lines.add(variant + ": did not start: " + error));
        runs.stream().filter(r -> r.error() != null)
                .forEach(r -> lines.add(r.variant() + " round " + r.round() + ": " + r.error()));
        return lines;
    }

    static String ms(double millis) {
        return millis >= 100 ? String.format(Locale.ROOT, "%.0f ms", millis)
                : String.format(Locale.ROOT, "%.2f ms", millis);
    }
}
