package dev.herd.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The ratio of two variants measured in the same rounds: the geometric mean of the per-round ratios, with a 95%
 * confidence interval (Student's t over the rounds' log ratios). Pairing by round cancels most of what drifts on
 * a shared machine (a neighbour's load moves both runs of a round together); working on logs makes the result the
 * same whichever variant is on top (A/B is exactly 1/(B/A)) and keeps one bad round from pulling the mean up more
 * than down.
 *
 * @param rounds rounds where both variants were measured
 * @param mean   geometric mean of the per-round ratios
 * @param low    lower end of the 95% interval (NaN with fewer than 2 rounds)
 * @param high   upper end of the 95% interval (NaN with fewer than 2 rounds)
 * @param min    smallest per-round ratio
 * @param max    largest per-round ratio
 */
record PairedRatio(int rounds, double mean, double low, double high, double min, double max) {

    /** Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom. */
    private static final double[] T975 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
            2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060,
            2.056, 2.052, 2.048, 2.045, 2.042};

    static final PairedRatio NONE = new PairedRatio(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

    /**
     * @param numerator   per round, the variant's value (null where it was not measured)
     * @param denominator per round, the reference's value (null where it was not measured)
     */
    static PairedRatio of(List<Double> numerator, List<Double> denominator) {
        if (numerator.size() != denominator.size()) {
            throw new IllegalArgumentException("rounds differ: " + numerator.size() + " vs " + denominator.size());
        }
        List<Double> logs = new ArrayList<>();
        for (int i = 0; i < numerator.size(); i++) {
            Double a = numerator.get(i);
            Double b = denominator.get(i);
            if (a != null && b != null && a > 0 && b > 0) {
                logs.add(Math.log(a / b));
            }
        }
        int n = logs.size();
        if (n == 0) {
            return NONE;
        }
        double mean = logs.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double min = Math.exp(logs.stream().mapToDouble(Double::doubleValue).min().orElseThrow());
        double max = Math.exp(logs.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
        if (n < 2) {
            return new PairedRatio(n, Math.exp(mean), Double.NaN, Double.NaN, min, max);
        }
        double squares = logs.stream().mapToDouble(r -> (r - mean) * (r - mean)).sum();
        double half = t975(n - 1) * Math.sqrt(squares / (n - 1)) / Math.sqrt(n);
        return new PairedRatio(n, Math.exp(mean), Math.exp(mean - half), Math.exp(mean + half), min, max);
    }

    static double t975(int degreesOfFreedom) {
        if (degreesOfFreedom < 1) {
            throw new IllegalArgumentException("degrees of freedom must be >= 1: " + degreesOfFreedom);
        }
        return degreesOfFreedom <= T975.length ? T975[degreesOfFreedom - 1] : 1.96;
    }

    boolean measured() {
        return rounds > 0;
    }

    /** {@code 1.02 (0.99–1.05)}, or just the mean when there is no interval. */
    String describe() {
        if (!measured()) {
            return "–";
        }
        if (Double.isNaN(low)) {
            return String.format(Locale.ROOT, "%.2f", mean);
        }
        return String.format(Locale.ROOT, "%.2f (%.2f–%.2f)", mean, low, high);
    }
}
