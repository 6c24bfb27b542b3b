package dev.herd.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/** What the build puts beside herd.jar, checked as it was built. */
class PackagingTest {
    /**
     * The JDK's AOT cache, from which the master starts, cannot hold classes older than class-file version 50;
     * picocli ships version 49, and the build rewrites them (herd-cli/src/build/RetargetJar.java). A build that
     * skipped the step still works, only slower: this is what notices.
     */
    @Test
    void everyClassOfTheMastersLibrariesCanBeInTheStartupCache() throws IOException {
        List<String> tooOld = new ArrayList<>();
        List<Path> jars;
        try (Stream<Path> files = Files.list(Herd.LIB)) {
            jars = files.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        }
        assertThat(jars).as("jars in " + Herd.LIB).anyMatch(p -> p.getFileName().toString().startsWith("picocli-"));
        for (Path jar : jars) {
            try (JarFile file = new JarFile(jar.toFile())) {
                for (JarEntry entry : Collections.list(file.entries())) {
                    if (entry.getName().endsWith(".class") && !entry.getName().endsWith("module-info.class")
                            && majorVersion(file, entry) < 50) {
                        tooOld.add(jar.getFileName() + "!" + entry.getName());
                    }
                }
            }
        }
        assertThat(tooOld).as("classes older than version 50").isEmpty();
    }

    /** Another user may run herd from this build (ControlAccessMessagesTest does): what the build rewrote stays readable. */
    @Test
    void everyJarCanBeReadByEveryUser() throws IOException {
        try (Stream<Path> files = Files.list(Herd.LIB)) {
            assertThat(files.filter(p -> p.toString().endsWith(".jar")).toList())
                    .allSatisfy(jar -> assertThat(Files.getPosixFilePermissions(jar)).as(jar.toString())
                            .contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ));
        }
    }

    private static int majorVersion(JarFile file, JarEntry entry) throws IOException {
        try (InputStream in = file.getInputStream(entry)) {
            byte[] header = in.readNBytes(8);
            return ((header[6] & 0xff) << 8) | (header[7] & 0xff);
        }
    }
}
