import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * A build step of herd-cli (run by the JDK's source launcher from herd-cli/pom.xml): rewrites the classes of a jar
 * whose class-file version is below 50 (Java 6) to version 52 (Java 8), in place, with the stack map frames that
 * version requires, computed by the JDK's ClassFile API. Nothing else in the classes changes.
 *
 * <p>Why: picocli 4.7 ships version 49 (Java 5) classes. The JDK's AOT cache (JEP 483), which makes the master start
 * in half the time, cannot hold classes older than version 50, so every `herd run` loaded and verified picocli's ~180
 * classes from the jar with the old inference verifier: about 45 ms of the master's start (docs/benchmarks.md,
 * "Master footprint"). Rewritten, they come from the cache like the rest.
 *
 * <p>Usage: {@code java RetargetJar.java JAR}. Signed jars are refused (a rewrite would break the signature). Exits 1
 * with a message on any failure.
 */
public final class RetargetJar {
    private static final int OLDEST_KEPT = 50;
    private static final int TARGET = 52;

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: java RetargetJar.java JAR");
            System.exit(1);
        }
        Path jar = Path.of(args[0]);
        try {
            int rewritten = retarget(jar);
            System.out.println("RetargetJar: " + jar.getFileName() + ": " + rewritten + " classes rewritten to version " + TARGET);
        } catch (IOException | RuntimeException e) {
            System.err.println("RetargetJar: " + jar + ": " + e);
            System.exit(1);
        }
    }

    static int retarget(Path jar) throws IOException {
        Map<String, JarEntry> entries = new LinkedHashMap<>();
        Map<String, byte[]> contents = new LinkedHashMap<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            for (JarEntry entry : Collections.list(file.entries())) {
                String name = entry.getName();
                if (name.startsWith("META-INF/") && (name.endsWith(".SF") || name.endsWith(".RSA") || name.endsWith(".DSA")
                        || name.endsWith(".EC"))) {
                    throw new IOException("the jar is signed (" + name + "); rewriting its classes would break the signature");
                }
                entries.put(name, entry);
                try (InputStream in = file.getInputStream(entry)) {
                    contents.put(name, in.readAllBytes());
                }
            }
        }
        // superclasses of the jar's own classes are found in the jar, the JDK's in the running JDK
        ClassHierarchyResolver resolver = ClassHierarchyResolver.ofResourceParsing(type -> {
            String descriptor = type.descriptorString();
            byte[] bytes = contents.get(descriptor.substring(1, descriptor.length() - 1) + ".class");
            return bytes == null ? null : new ByteArrayInputStream(bytes);
        }).orElse(ClassHierarchyResolver.defaultResolver());
        ClassFile classFile = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(resolver),
                ClassFile.StackMapsOption.GENERATE_STACK_MAPS);
        // a code transform that passes every element on makes the ClassFile API write each method's code anew, and
        // with it the frames; the end handler sets the version
        ClassTransform toTarget = ClassTransform.transformingMethodBodies((code, element) -> code.with(element))
                .andThen(ClassTransform.endHandler(builder -> builder.withVersion(TARGET, 0)));
        int rewritten = 0;
        for (Map.Entry<String, byte[]> content : contents.entrySet()) {
            if (!content.getKey().endsWith(".class") || content.getKey().endsWith("module-info.class")) {
                continue;
            }
            ClassModel model = classFile.parse(content.getValue());
            if (model.majorVersion() < OLDEST_KEPT) {
                content.setValue(classFile.transformClass(model, toTarget));
                rewritten++;
            }
        }
        if (rewritten == 0) {
            return 0; // already done (an incremental build), or nothing old: the jar stays as it is
        }
        Path temporary = Files.createTempFile(jar.toAbsolutePath().getParent(), jar.getFileName().toString(), ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(temporary); JarOutputStream jarOut = new JarOutputStream(out)) {
                for (Map.Entry<String, JarEntry> entry : entries.entrySet()) {
                    JarEntry copy = new JarEntry(entry.getKey());
                    copy.setTime(entry.getValue().getTime());
                    jarOut.putNextEntry(copy);
                    jarOut.write(contents.get(entry.getKey()));
                    jarOut.closeEntry();
                }
            }
            // a temporary file is private (0600); the jar keeps the mode it had, so that every user who may run herd
            // can still read it
            Files.setPosixFilePermissions(temporary, Files.getPosixFilePermissions(jar));
            Files.move(temporary, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
        return rewritten;
    }
}
