import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.lang.constant.ClassDesc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/** The work of UpgradeOldClassFiles, on JDK 24+. */
public final class ClassFileUpgrade {
  private static final int OLDEST_SHARED = 50; // class data sharing skips anything older
  private static final int TARGET = 52; // Java 8: stack maps required, nothing else changes

  private ClassFileUpgrade() {}

  public static void upgrade(Path jar) throws IOException {
    Map<String, ZipEntry> entries = new LinkedHashMap<>();
    Map<String, byte[]> contents = new LinkedHashMap<>();
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar))) {
      for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
        entries.put(entry.getName(), entry);
        contents.put(entry.getName(), in.readAllBytes());
      }
    }
    // Stack maps need the class hierarchy: the jar's own classes first, then the JDK's.
    ClassHierarchyResolver fromJar =
        ClassHierarchyResolver.ofResourceParsing(
            (ClassDesc type) -> {
              String descriptor = type.descriptorString();
              byte[] bytes = contents.get(descriptor.substring(1, descriptor.length() - 1) + ".class");
              return bytes == null ? null : new ByteArrayInputStream(bytes);
            });
    ClassFile files =
        ClassFile.of(
            ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
            ClassFile.ClassHierarchyResolverOption.of(
                fromJar.orElse(ClassHierarchyResolver.defaultResolver())));
    ClassTransform newVersion =
        (builder, element) -> {
          if (element instanceof ClassFileVersion) {
            builder.withVersion(TARGET, 0);
          } else {
            builder.with(element);
          }
        };
    // Rebuilding every method body is what makes the API compute the stack maps.
    ClassTransform upgrade =
        newVersion.andThen(ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL));
    int upgraded = 0;
    int kept = 0;
    for (Map.Entry<String, byte[]> file : contents.entrySet()) {
      String name = file.getKey();
      if (!name.endsWith(".class") || name.startsWith("META-INF/") || name.endsWith("module-info.class")) {
        continue;
      }
      ClassModel model = files.parse(file.getValue());
      if (model.majorVersion() >= OLDEST_SHARED) {
        continue;
      }
      try {
        file.setValue(files.transformClass(model, upgrade));
        upgraded++;
      } catch (RuntimeException e) {
        // e.g. jsr/ret, which newer class files cannot hold: that class stays as it was.
        System.err.println("UpgradeOldClassFiles: kept " + name + " as it was: " + e.getMessage());
        kept++;
      }
    }
    if (upgraded == 0) {
      System.err.println("UpgradeOldClassFiles: no class file older than Java 6 in " + jar);
      return;
    }
    Path temporary = jar.resolveSibling(jar.getFileName() + ".upgrading");
    try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(temporary))) {
      for (Map.Entry<String, byte[]> file : contents.entrySet()) {
        ZipEntry original = entries.get(file.getKey());
        ZipEntry copy = new ZipEntry(file.getKey());
        copy.setTime(original.getTime()); // keeps the jar reproducible
        out.putNextEntry(copy);
        out.write(file.getValue());
        out.closeEntry();
      }
    }
    Files.move(temporary, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    System.err.println(
        "UpgradeOldClassFiles: " + upgraded + " class files of " + jar.getFileName()
            + " now Java 8 (version 52) with stack maps" + (kept > 0 ? "; " + kept + " kept" : ""));
  }
}
