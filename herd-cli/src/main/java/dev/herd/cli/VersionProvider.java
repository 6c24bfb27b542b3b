package dev.herd.cli;

import picocli.CommandLine;

/** Reads the version from the jar manifest, so it is the build's version, not a copy in code. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = HerdCommand.class.getPackage().getImplementationVersion();
        return new String[] {"herd " + (version == null ? "(development build)" : version)
                + " on Java " + Runtime.version()};
    }
}
