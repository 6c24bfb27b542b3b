package dev.herd.cli;

import dev.herd.ApiSpec;
import dev.herd.ClusterSpec;
import dev.herd.Durations;
import dev.herd.EnumLabels;
import picocli.CommandLine;

import java.util.List;

/**
 * The defaults of {@code herd run}'s options, taken from {@link ClusterSpec.Builder} and {@link ApiSpec#defaults()}
 * so that they are written once: picocli shows them in the help ({@code ${DEFAULT-VALUE}}) and parses them like
 * typed values. Options without a default here (workers, state-dir, ...) get theirs from the builder when unset.
 */
final class RunDefaults implements CommandLine.IDefaultValueProvider {
    /** The builder's defaults; the command is a placeholder, the only setting without one. */
    private static final ClusterSpec SPEC = ClusterSpec.builder().command(List.of("worker")).build();
    private static final ApiSpec API = ApiSpec.defaults();

    @Override
    public String defaultValue(CommandLine.Model.ArgSpec argument) {
        if (!(argument instanceof CommandLine.Model.OptionSpec option)) {
            return null;
        }
        return switch (option.longestName()) {
            case "--port" -> Integer.toString(SPEC.port());
            case "--host" -> SPEC.host();
            case "--mode" -> SPEC.mode().label();
            case "--balance" -> SPEC.balance().label();
            case "--proxy-protocol" -> EnumLabels.label(SPEC.proxyHeader());
            case "--backlog" -> Integer.toString(SPEC.backlog());
            case "--socket-fd" -> Integer.toString(SPEC.socketFd());
            case "--ready-when" -> SPEC.readyWhen().label();
            case "--start-timeout" -> Durations.format(SPEC.startTimeout());
            case "--restart-delay" -> Durations.format(SPEC.restartDelay());
            case "--max-restart-delay" -> Durations.format(SPEC.maxRestartDelay());
            case "--max-restarts-per-minute" -> Integer.toString(SPEC.maxRestartsPerMinute());
            case "--max-failed-starts" -> Integer.toString(SPEC.maxFailedStarts());
            case "--drain-timeout" -> Durations.format(SPEC.drainTimeout());
            case "--reload-batch" -> Integer.toString(SPEC.reloadBatch());
            case "--canary-seconds" -> Long.toString(SPEC.canaryPeriod().toSeconds());
            case "--retired-nice" -> Integer.toString(SPEC.retiredNice());
            case "--watchdog-timeout" -> Durations.format(SPEC.watchdogTimeout());
            case "--log-max-size" -> ByteSizes.format(SPEC.logMaxBytes());
            case "--log-keep" -> Integer.toString(SPEC.logKeep());
            case "--api-host" -> API.host();
            case "--api-port" -> Integer.toString(API.port());
            default -> null;
        };
    }
}
