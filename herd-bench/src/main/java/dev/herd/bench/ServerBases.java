package dev.herd.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The README's recipes for the server distributions, as code: what {@code reload-bench} and the end-to-end tests
 * (herd-tests) both set up, kept in one place so that both run the same recipe.
 */
public final class ServerBases {

    private ServerBases() {
    }

    /**
     * A CATALINA_BASE for Tomcat distribution {@code home}: its conf with the README's three server.xml edits,
     * herd-tomcat's jar ({@code herdTomcatLib}: {@code herd-tomcat/target/catalina-base/lib}) in lib, and
     * {@code page} as {@code webapps/ROOT/index.html}.
     *
     * @throws IllegalStateException when the edits do not apply to this distribution's server.xml
     */
    public static Path catalinaBase(Path home, Path herdTomcatLib, Path base, String page) throws IOException {
        for (String sub : List.of("conf", "lib", "logs", "temp", "work", "webapps/ROOT")) {
            Files.createDirectories(base.resolve(sub));
        }
        copyTree(home.resolve("conf"), base.resolve("conf"));
        copyTree(herdTomcatLib, base.resolve("lib"));
        Path serverXml = base.resolve("conf/server.xml");
        Files.writeString(serverXml, herdServerXml(Files.readString(serverXml), serverXml));
        Files.writeString(base.resolve("webapps/ROOT/index.html"), page);
        return base;
    }

    /**
     * The README's server.xml edits: no shutdown port (two workers would both bind 8005), Herd's listener, and the
     * HTTP connector on Herd's protocol.
     *
     * @param file where {@code xml} comes from, for the error
     * @throws IllegalStateException when they do not apply (the distribution's server.xml differs)
     */
    static String herdServerXml(String xml, Path file) {
        String edited = xml
                .replace("<Server port=\"8005\" shutdown=\"SHUTDOWN\">",
                        "<Server port=\"-1\" shutdown=\"SHUTDOWN\">\n  <Listener className=\"dev.herd.tomcat.HerdListener\" />")
                .replace("<Connector port=\"8080\" protocol=\"HTTP/1.1\"",
                        "<Connector port=\"8080\" protocol=\"dev.herd.tomcat.HerdHttp11NioProtocol\"");
        for (String expected : List.of("port=\"-1\"", "HerdListener", "HerdHttp11NioProtocol")) {
            if (!edited.contains(expected)) {
                throw new IllegalStateException("the README's server.xml edits do not apply to " + file
                        + ": no " + expected + " after them");
            }
        }
        return edited;
    }

    /** Copies the files and directories under {@code from} into {@code to} (which may exist). */
    public static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
