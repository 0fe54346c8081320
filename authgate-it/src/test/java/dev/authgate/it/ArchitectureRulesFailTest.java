package dev.authgate.it;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every rule of {@link ArchitectureTest} fails once a forbidden arrow is added: the main code plus
 * the {@code archfixture} classes of this module's tests, which break each rule on purpose (a
 * feature importing another, a ring of features that is also a package cycle, the protocol holding
 * a socket, the server knowing the client). A rule that could not fail would prove nothing.
 */
class ArchitectureRulesFailTest {
  /** The main classes plus this module's test classes (the fixtures), not other modules' tests. */
  static final JavaClasses WITH_BREAKAGE =
      new ClassFileImporter()
          .withImportOption(ArchitectureTest.NO_TEST_JARS)
          // other modules' test classes, as the reactor's test phase hands them over
          .withImportOption(
              location ->
                  !location.contains("/target/test-classes/") || location.contains("/authgate-it/"))
          .importPackages("dev.authgate");

  @TestFactory
  List<DynamicTest> everyRuleFailsOnABrokenHouse() {
    List<DynamicTest> tests = new ArrayList<>();
    for (ArchRule rule : ArchitectureTest.allRules()) {
      tests.add(
          DynamicTest.dynamicTest(
              rule.getDescription(),
              () ->
                  assertThatThrownBy(() -> rule.check(WITH_BREAKAGE))
                      .isInstanceOf(AssertionError.class)
                      .hasMessageContaining("archfixture")));
    }
    return tests;
  }
}
