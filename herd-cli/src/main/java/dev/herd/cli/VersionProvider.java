package dev.herd.cli;

import dev.herd.control.HerdVersion;
import picocli.CommandLine;

/** Reads the version from the jar manifest, so it is the build's version, not a copy in code. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {"herd " + HerdVersion.herd() + " on Java " + HerdVersion.java()};
    }
}
