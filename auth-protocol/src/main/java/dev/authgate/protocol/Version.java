package dev.authgate.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** What this build is: version, git commit and the JDK running it, for {@code --version}. */
public final class Version {
  private Version() {}

  /** E.g. {@code authgate 0.1.0 (commit 1a2b3c4d5e, Java 25.0.3 Eclipse Adoptium)}. */
  public static String describe() {
    String commit = commit();
    if ("true".equals(build().getProperty("dirty")) && !commit.equals("unknown")) {
      commit += " with uncommitted changes";
    }
    return "authgate " + number() + " (commit " + commit + ", Java " + jdk() + ")";
  }

  /** The version, e.g. {@code 0.1.0}, or {@code unknown}. */
  public static String number() {
    return known(build().getProperty("version"));
  }

  /** The git commit built, or {@code unknown}. */
  public static String commit() {
    return known(build().getProperty("commit"));
  }

  /** The JDK running this, e.g. {@code 25.0.3 Eclipse Adoptium}. */
  public static String jdk() {
    return (System.getProperty("java.runtime.version", System.getProperty("java.version"))
            + " "
            + System.getProperty("java.vendor", ""))
        .strip();
  }

  private static Properties build() {
    Properties build = new Properties();
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        build.load(in);
      }
    } catch (IOException e) {
      // Unknown is what we print then.
    }
    return build;
  }

  private static String known(String value) {
    return value == null || value.isBlank() || value.startsWith("${") ? "unknown" : value;
  }
}
