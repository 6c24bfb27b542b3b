package dev.herd.control;

/** The version of Herd running here, from the jar manifest (a build from the IDE has none). */
public final class HerdVersion {
    private HerdVersion() {
    }

    public static String herd() {
        String version = HerdVersion.class.getPackage().getImplementationVersion();
        return version == null ? "development build" : version;
    }

    public static String java() {
        return Runtime.version().toString();
    }
}
