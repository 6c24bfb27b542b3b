package dev.herd.spring.boot;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Matches when the application runs as a Herd worker and {@code herd.enabled} is not false. */
final class OnHerdWorkerCondition extends SpringBootCondition {

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        if (context.getEnvironment().getProperty(HerdWorkerEnvironment.WORKER_ID) == null) {
            return ConditionOutcome.noMatch(HerdWorkerEnvironment.WORKER_ID + " is not set: not started by Herd");
        }
        if (!HerdWorkerEnvironment.active(context.getEnvironment())) {
            return ConditionOutcome.noMatch(HerdWorkerEnvironment.ENABLED + " is false");
        }
        return ConditionOutcome.match("started by Herd as worker "
                + context.getEnvironment().getProperty(HerdWorkerEnvironment.WORKER_ID));
    }
}
