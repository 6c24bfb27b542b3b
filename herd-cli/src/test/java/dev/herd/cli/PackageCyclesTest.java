package dev.herd.cli;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * No two packages under dev.herd depend on each other, directly or through others. Here in herd-cli because its
 * classpath holds the main classes of herd-core, herd-worker and herd-cli (and the bundled demo worker), and it
 * runs with the unit tests ({@code ./mvnw test}).
 */
class PackageCyclesTest {

    /**
     * Each class belongs to the slice of its exact package, dev.herd itself included (slices().matching("dev.herd.(*)..")
     * would leave the root package out and fold subpackages into their parent).
     */
    private static final SliceAssignment EXACT_PACKAGE = new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
            String pkg = javaClass.getPackageName();
            return pkg.equals("dev.herd") || pkg.startsWith("dev.herd.") ? SliceIdentifier.of(pkg) : SliceIdentifier.ignore();
        }

        @Override
        public String getDescription() {
            return "each package under dev.herd (dev.herd included)";
        }
    };

    @Test
    void packagesUnderDevHerdFormNoCycle() {
        JavaClasses classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.herd");
        // the rule would pass vacuously if a module's classes were missing from the classpath
        String sources = classes.stream()
                .map(c -> c.getSource().map(s -> s.getUri().toString()).orElse(""))
                .collect(Collectors.joining("\n"));
        assertThat(sources).contains("herd-core").contains("herd-worker").contains("herd-cli");

        slices().assignedFrom(EXACT_PACKAGE).should().beFreeOfCycles().check(classes);
    }
}
