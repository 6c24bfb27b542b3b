package dev.herd.examples.jetty;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandleProxies;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.InvocationTargetException;

/**
 * {@code sun.misc.Signal.handle(new Signal(name), signal -> action.run())}, called by reflection. The JDK has no
 * other way to take SIGTERM and the like, and sun.misc.Signal stays supported (module jdk.unsupported, JEP 260),
 * but javac's "internal proprietary API" warning for a compile-time reference is mandatory: neither an -Xlint key
 * nor {@code @SuppressWarnings} turns it off, and the build compiles with -Werror.
 */
final class JdkSignals {
    private JdkSignals() {
    }

    /**
     * Runs {@code action} on a JDK dispatcher thread each time the signal (name without SIG, e.g. {@code TERM})
     * arrives.
     *
     * @throws IllegalArgumentException as sun.misc.Signal does: an unknown signal, or one the JVM uses (e.g. run
     *                                  with -Xrs)
     */
    static void handle(String name, Runnable action) {
        try {
            Class<?> signalType = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            MethodHandle run = MethodHandles.publicLookup()
                    .findVirtual(Runnable.class, "run", MethodType.methodType(void.class))
                    .bindTo(action);
            Object handler = MethodHandleProxies.asInterfaceInstance(handlerType,
                    MethodHandles.dropArguments(run, 0, signalType));
            Object signal = signalType.getConstructor(String.class).newInstance(name);
            signalType.getMethod("handle", signalType, handlerType).invoke(null, signal, handler);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("sun.misc.Signal is not available", e);
        }
    }
}
