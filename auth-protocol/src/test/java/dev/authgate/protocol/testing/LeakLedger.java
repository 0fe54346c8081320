package dev.authgate.protocol.testing;

import dev.authgate.protocol.crypto.ScramKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps the suite's secrets and outputs for one scan at the end of the build ({@code
 * SuiteLeakScanIT} in auth-bench). Registered for every test class of every module (JUnit's
 * extension auto-detection); active only when the build sets the system property {@value #PROPERTY}
 * to a directory.
 *
 * <p>After each test, before JUnit deletes its {@code @TempDir}s, it walks them: every credential
 * gives its secret and the ClientKey, StoredKey and ServerKey derived from it, every keystore file
 * its StoredKeys and ServerKeys (all written, hex, to {@code secrets.txt}), and every log, audit
 * file, captured output or error file is copied to {@code outputs/}. Tests that see challenges
 * (scripted peers) report them with {@link #sawChallenge}.
 */
public final class LeakLedger implements AfterEachCallback, AfterAllCallback {
  /** The system property naming the ledger directory. */
  public static final String PROPERTY = "authgate.leak.ledger";

  private static final long MAX_OUTPUT_BYTES = 16L << 20;
  private static final Pattern SECRET = Pattern.compile("(?m)^secret (\\S+)$");
  private static final Pattern VERIFIERS = Pattern.compile("stored-key=(\\S+) server-key=(\\S+)");
  private static final Pattern OUTPUT =
      Pattern.compile(
          "(?i).*(\\.log|\\.err|\\.out|\\.txt|\\.json|\\.jsonl|audit\\.jsonl.*|\\.csv)$");

  @Override
  public void afterEach(ExtensionContext context) {
    context.getTestInstance().ifPresent(instance -> collectFields(instance, false));
  }

  @Override
  public void afterAll(ExtensionContext context) {
    collectFields(context.getRequiredTestClass(), true);
  }

  private static void collectFields(Object target, boolean statics) {
    Path ledger = ledger();
    if (ledger == null) {
      return;
    }
    Class<?> type = target instanceof Class<?> c ? c : target.getClass();
    for (Class<?> t = type; t != null && t != Object.class; t = t.getSuperclass()) {
      for (Field field : t.getDeclaredFields()) {
        if (!field.isAnnotationPresent(TempDir.class)
            || Modifier.isStatic(field.getModifiers()) != statics
            || field.getType() != Path.class) {
          continue;
        }
        try {
          field.setAccessible(true);
          Path dir = (Path) field.get(statics ? null : target);
          if (dir != null && Files.isDirectory(dir)) {
            collect(ledger, dir);
          }
        } catch (IllegalAccessException | IOException | UncheckedIOException e) {
          System.err.println("LeakLedger: cannot read " + field + ": " + e);
        }
      }
    }
  }

  /** Records a challenge (or any protocol nonce) a test saw on the wire. */
  public static void sawChallenge(byte[] challenge) {
    Path ledger = ledger();
    if (ledger != null) {
      append(ledger.resolve("challenges.txt"), List.of(HexFormat.of().formatHex(challenge)));
    }
  }

  /** Records a secret a test made in memory, with the keys derived from it. */
  public static void sawSecret(byte[] secret) {
    Path ledger = ledger();
    if (ledger != null) {
      append(ledger.resolve("secrets.txt"), derived(secret));
    }
  }

  private static Path ledger() {
    String dir = System.getProperty(PROPERTY);
    return dir == null || dir.isBlank() ? null : Path.of(dir);
  }

  private static void collect(Path ledger, Path root) throws IOException {
    List<String> secrets = new ArrayList<>();
    Path outputs = ledger.resolve("outputs");
    Files.createDirectories(outputs);
    try (Stream<Path> files = Files.walk(root, 8)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        String name = file.getFileName().toString();
        long size = Files.size(file);
        if (name.endsWith(".credential") && size < 64 * 1024) {
          Matcher m = SECRET.matcher(readQuietly(file));
          while (m.find()) {
            decode(m.group(1)).ifPresent(s -> secrets.addAll(derived(s)));
          }
        } else if (name.endsWith(".keys") && size < 64 * 1024) {
          Matcher m = VERIFIERS.matcher(readQuietly(file));
          while (m.find()) {
            decode(m.group(1)).ifPresent(k -> secrets.add(HexFormat.of().formatHex(k)));
            decode(m.group(2)).ifPresent(k -> secrets.add(HexFormat.of().formatHex(k)));
          }
        } else if (OUTPUT.matcher(name).matches() && size <= MAX_OUTPUT_BYTES) {
          Files.copy(
              file,
              outputs.resolve(UUID.randomUUID() + "-" + name),
              StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    append(ledger.resolve("secrets.txt"), secrets);
  }

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return ""; // a file a test made unreadable or malformed on purpose
    }
  }

  private static java.util.Optional<byte[]> decode(String base64) {
    try {
      byte[] bytes = Base64.getDecoder().decode(base64);
      return bytes.length >= 16 ? java.util.Optional.of(bytes) : java.util.Optional.empty();
    } catch (IllegalArgumentException e) {
      return java.util.Optional.empty(); // a malformed file a test wrote on purpose
    }
  }

  private static List<String> derived(byte[] secret) {
    ScramKeys keys = ScramKeys.fromSaltedPassword(secret);
    HexFormat hex = HexFormat.of();
    return List.of(
        hex.formatHex(secret),
        hex.formatHex(keys.clientKey()),
        hex.formatHex(keys.verifier().storedKey()),
        hex.formatHex(keys.verifier().serverKey()));
  }

  private static synchronized void append(Path file, List<String> lines) {
    if (lines.isEmpty()) {
      return;
    }
    try {
      Files.createDirectories(file.getParent());
      Files.write(
          file,
          (String.join("\n", lines) + "\n").getBytes(StandardCharsets.US_ASCII),
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
