package dev.authgate.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** What this build is: version, git commit and the JDK running it, for {@code --version}. */
public final class Version {
  private Version() {}

  /** E.g. {@code authgate 0.1.0 (commit 1a2b3c4d5e, Java 25.0.3 Eclipse Adoptium)}. */
  public static String describe() {
    Properties build = new Properties();
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        build.load(in);
      }
    } catch (IOException e) {
      // Unknown is what we print then.
    }
    String version = known(build.getProperty("version"));
    String commit = known(build.getProperty("commit"));
    if ("true".equals(build.getProperty("dirty")) && !commit.equals("unknown")) {
      commit += " with uncommitted changes";
    }
    return "authgate "
        + version
        + " (commit "
        + commit
        + ", Java "
        + System.getProperty("java.runtime.version", System.getProperty("java.version"))
        + " "
        + System.getProperty("java.vendor", "")
        + ")";
  }

  private static String known(String value) {
    return value == null || value.isBlank() || value.startsWith("${") ? "unknown" : value;
  }
}
