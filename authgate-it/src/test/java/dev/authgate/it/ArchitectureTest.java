package dev.authgate.it;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.net.DatagramSocket;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The house rules, checked on the compiled main code of every module (docs/ARCHITECTURE.md,
 * "Packages"): no package depends on itself through others, the protocol knows no socket, the
 * server and the client never meet, and a feature never reaches into another feature or into the
 * connection that routes to it.
 */
class ArchitectureTest {
  /**
   * Leaves out the modules' test jars ({@code *-tests.jar}: the process tests here use
   * auth-server's and auth-protocol's), which {@code DO_NOT_INCLUDE_TESTS} does not recognise.
   */
  static final ImportOption NO_TEST_JARS = location -> !location.contains("-tests.jar");

  static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .withImportOption(NO_TEST_JARS)
          .importPackages("dev.authgate");

  /** The server's features: each owns its handler, state and rules in its own package. */
  static final List<String> SERVER_FEATURES =
      List.of("chat", "upload", "download", "datagram", "enroll", "rotation");

  /** The client's features, below the {@code AuthgateClient} facade and the CLI. */
  static final List<String> CLIENT_FEATURES = List.of("chat", "upload", "download");

  @Test
  void everyModuleIsImported() {
    for (String module : List.of("protocol", "server", "client")) {
      assertThat(MAIN.containPackage("dev.authgate." + module)).as(module).isTrue();
    }
  }

  @TestFactory
  List<DynamicTest> rules() {
    List<DynamicTest> tests = new ArrayList<>();
    for (ArchRule rule : allRules()) {
      tests.add(DynamicTest.dynamicTest(rule.getDescription(), () -> rule.check(MAIN)));
    }
    return tests;
  }

  /** Every rule of the house; {@code ArchitectureRulesFailTest} shows each can fail. */
  static List<ArchRule> allRules() {
    List<ArchRule> rules = new ArrayList<>();
    rules.add(noPackageCycles());
    rules.add(protocolKnowsNoSocket());
    rules.add(
        noClasses()
            .that()
            .resideInAPackage("dev.authgate.protocol..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("dev.authgate.server..", "dev.authgate.client..")
            .because("the protocol is the bottom layer both ends share"));
    rules.add(
        noClasses()
            .that()
            .resideInAPackage("dev.authgate.server..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("dev.authgate.client..")
            .because("the server and the client never meet"));
    rules.add(
        noClasses()
            .that()
            .resideInAPackage("dev.authgate.client..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("dev.authgate.server..")
            .because("the server and the client never meet"));
    rules.add(
        noClasses()
            .that()
            .resideOutsideOfPackage("dev.authgate.server")
            .should()
            .callMethod(
                "dev.authgate.server.connection.AuthServer",
                "start",
                "dev.authgate.server.connection.ServerConfig",
                "dev.authgate.protocol.handshake.VerifierLookup",
                "java.util.function.Supplier",
                "dev.authgate.server.audit.AuditLog",
                "java.time.Clock",
                "dev.authgate.protocol.crypto.RandomSource",
                "dev.authgate.server.connection.SharedState")
            .as("only AuthgateServer (its package) starts an AuthServer")
            .because(
                "there is one way to build a server: serve and the tests share it (so do the"
                    + " benchmarks, in auth-bench, which builds after this module)"));
    rules.addAll(featuresApart("dev.authgate.server", SERVER_FEATURES));
    rules.addAll(featuresApart("dev.authgate.client", CLIENT_FEATURES));
    for (String feature : SERVER_FEATURES) {
      rules.add(
          noClasses()
              .that()
              .resideInAPackage("dev.authgate.server." + feature + "..")
              .should()
              .dependOnClassesThat()
              .resideInAnyPackage("dev.authgate.server.connection..", "dev.authgate.server.cli..")
              .because(
                  "a feature gets its session through server.session.VerifiedSession, never from"
                      + " the connection that routes to it"));
    }
    for (String feature : CLIENT_FEATURES) {
      rules.add(
          noClasses()
              .that()
              .resideInAPackage("dev.authgate.client." + feature + "..")
              .should()
              .dependOnClassesThat()
              .resideInAnyPackage("dev.authgate.client", "dev.authgate.client.cli..")
              .because(
                  "a feature gets its connections through client.connect, never from the facade"
                      + " or the command line above it"));
    }
    return rules;
  }

  static ArchRule noPackageCycles() {
    return slices()
        .matching("dev.authgate.(**)")
        .namingSlices("$1")
        .should()
        .beFreeOfCycles()
        .as("no package depends on itself through others");
  }

  static ArchRule protocolKnowsNoSocket() {
    return noClasses()
        .that()
        .resideInAPackage("dev.authgate.protocol..")
        .should()
        .dependOnClassesThat()
        .belongToAnyOf(
            Socket.class,
            ServerSocket.class,
            DatagramSocket.class,
            SocketChannel.class,
            ServerSocketChannel.class,
            DatagramChannel.class)
        .because("the protocol works on streams and bytes; the server and the client own sockets");
  }

  static List<ArchRule> featuresApart(String root, List<String> features) {
    List<ArchRule> rules = new ArrayList<>();
    for (String feature : features) {
      List<String> others = new ArrayList<>();
      for (String other : features) {
        if (!other.equals(feature)) {
          others.add(root + "." + other + "..");
        }
      }
      rules.add(
          noClasses()
              .that()
              .resideInAPackage(root + "." + feature + "..")
              .should()
              .dependOnClassesThat()
              .resideInAnyPackage(others.toArray(String[]::new))
              .as(
                  root.substring(root.lastIndexOf('.') + 1)
                      + " feature "
                      + feature
                      + " imports no other feature")
              .because("features do not import each other"));
    }
    return rules;
  }
}
