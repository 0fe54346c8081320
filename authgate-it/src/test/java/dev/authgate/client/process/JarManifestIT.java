package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/** What the shaded jars tell the JVM and an operator about themselves. */
class JarManifestIT {
  private static Attributes manifest(String property) throws IOException {
    try (JarFile jar = new JarFile(System.getProperty(property))) {
      return jar.getManifest().getMainAttributes();
    }
  }

  @Test
  void bothJarsNameTheirVersionAndCommit() throws IOException {
    for (String jar : new String[] {"authgate.server.jar", "authgate.client.jar"}) {
      Attributes attributes = manifest(jar);
      assertThat(attributes.getValue("Implementation-Version")).as(jar).isNotBlank();
      assertThat(attributes.getValue("Implementation-Commit")).as(jar).isNotBlank();
    }
  }

  @Test
  void theClientMayLoadJLinesNativeCodeWithoutAWarningOnStderr() throws IOException {
    // Without it, JDK 24+ prints four "restricted method" warnings when interactive chat starts.
    assertThat(manifest("authgate.client.jar").getValue("Enable-Native-Access"))
        .isEqualTo("ALL-UNNAMED");
  }
}
