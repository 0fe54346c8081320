/*
 * Build step (run by Maven after the shaded jar is made; see auth-client/pom.xml): rewrites class
 * files older than Java 6 (version 50) in a jar as Java 8 (52) class files with stack maps, byte
 * for byte the same code otherwise.
 *
 * Why: picocli ships Java 5 class files for compatibility, and the JVM's class data sharing and
 * ahead-of-time cache skip class files that old, so every `auth-client ping` loaded, verified (with
 * the old inferencing verifier) and linked ~230 picocli classes from the jar: a tenth of its start.
 *
 * Needs the class-file API (JDK 24+); on an older JDK it says so and leaves the jar as it is (the
 * jar works the same, only starts slower). Usage: java UpgradeOldClassFiles.java JAR
 */
public class UpgradeOldClassFiles {
  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: java UpgradeOldClassFiles.java JAR");
      System.exit(2);
    }
    if (Runtime.version().feature() < 24) {
      System.err.println(
          "UpgradeOldClassFiles: JDK " + Runtime.version().feature()
              + " has no class-file API (24+); " + args[0] + " keeps its old class files");
      return;
    }
    // A sibling source file, compiled by the launcher when first loaded (JDK 22+), so that this
    // file still compiles on JDK 21.
    Class.forName("ClassFileUpgrade")
        .getMethod("upgrade", java.nio.file.Path.class)
        .invoke(null, java.nio.file.Path.of(args[0]));
  }
}
