package dev.authgate.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * The last test of the build: every secret, ClientKey, StoredKey and ServerKey of every test, and
 * every challenge the scripted peers saw (collected by auth-protocol's {@code LeakLedger} in {@code
 * target/leak-ledger/}), searched for in hex (any case), base64 and base64url, in every log, audit
 * file and captured output the suite kept: each module's surefire and failsafe reports (the
 * captured stdout and stderr of every test) and the outputs copied from the tests' temporary
 * directories. Zero hits.
 */
class SuiteLeakScanIT {
  private static final int VALUE_BYTES = 32;
  private static final int HEX_CHARS = 2 * VALUE_BYTES;
  private static final int BASE64_CHARS = 43; // 32 bytes, unpadded

  @Test
  void noSecretKeyOrChallengeOfTheWholeSuiteAppearsInAnyOutput() throws IOException {
    Path root = Path.of(System.getProperty("authgate.root", "..")).toAbsolutePath().normalize();
    Path ledger = root.resolve("target/leak-ledger");
    assumeTrue(
        Files.exists(ledger.resolve("secrets.txt")),
        "no ledger at " + ledger + ": run the whole build (./mvnw verify) to scan the suite");

    Forbidden forbidden = new Forbidden();
    long secrets = forbidden.addAll(ledger.resolve("secrets.txt"), "secret or key");
    long challenges = forbidden.addAll(ledger.resolve("challenges.txt"), "challenge");
    List<Path> scanned = new ArrayList<>();
    List<String> hits = new ArrayList<>();
    for (Path file : outputs(root, ledger)) {
      String text = read(file);
      scanned.add(file);
      forbidden.find(text).forEach(what -> hits.add(file + ": " + what));
    }
    System.out.printf(
        "scanned %d files for %d secrets/keys and %d challenges%n",
        scanned.size(), secrets, challenges);

    assertThat(hits).as("secrets, keys or challenges in outputs").isEmpty();
    // A scan of nothing would prove nothing: the suite provisions hundreds of clients.
    assertThat(secrets).as("secrets and keys in the ledger").isGreaterThan(100);
    assertThat(challenges).as("challenges in the ledger").isGreaterThan(10);
    assertThat(scanned).as("files scanned").hasSizeGreaterThan(50);
  }

  @Test
  void theScannerFindsAPlantedValueInEveryEncoding() {
    byte[] value = new byte[VALUE_BYTES];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) (i * 37 + 250);
    }
    Forbidden forbidden = new Forbidden();
    forbidden.add(HexFormat.of().formatHex(value), "planted");
    for (String encoded :
        List.of(
            HexFormat.of().formatHex(value),
            HexFormat.of().withUpperCase().formatHex(value),
            Base64.getEncoder().encodeToString(value),
            Base64.getUrlEncoder().withoutPadding().encodeToString(value))) {
      assertThat(forbidden.find("log line: key=" + encoded + " end")).as(encoded).hasSize(1);
    }
    assertThat(forbidden.find(HexFormat.of().formatHex(new byte[VALUE_BYTES]))).isEmpty();
  }

  /** Every report file of every module, and every output the tests' directories held. */
  private static List<Path> outputs(Path root, Path ledger) throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> modules = Files.list(root)) {
      for (Path module : modules.filter(m -> Files.isDirectory(m.resolve("target"))).toList()) {
        for (String reports : List.of("surefire-reports", "failsafe-reports")) {
          Path dir = module.resolve("target").resolve(reports);
          if (Files.isDirectory(dir)) {
            try (Stream<Path> walk = Files.walk(dir)) {
              walk.filter(Files::isRegularFile).forEach(files::add);
            }
          }
        }
        try (Stream<Path> top = Files.list(module.resolve("target"))) {
          top.filter(f -> f.getFileName().toString().matches(".*\\.(txt|log)")).forEach(files::add);
        }
      }
    }
    Path outputs = ledger.resolve("outputs");
    if (Files.isDirectory(outputs)) {
      try (Stream<Path> walk = Files.list(outputs)) {
        walk.filter(Files::isRegularFile).forEach(files::add);
      }
    }
    return files;
  }

  /**
   * A file's text; a gzip's decompressed text, and for one that is cut short or corrupt (a test
   * makes such files on purpose) what decompresses before the damage and the raw bytes as well.
   */
  private static String read(Path file) throws IOException {
    if (!file.getFileName().toString().endsWith(".gz")) {
      return Files.readString(file, StandardCharsets.ISO_8859_1);
    }
    java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
      in.transferTo(text);
      return text.toString(StandardCharsets.ISO_8859_1);
    } catch (java.util.zip.ZipException | java.io.EOFException damaged) {
      return text.toString(StandardCharsets.ISO_8859_1)
          + "\n"
          + Files.readString(file, StandardCharsets.ISO_8859_1);
    }
  }

  /** 32-byte values in all their encodings, found in text by fixed-width windows over runs. */
  static final class Forbidden {
    private final Map<String, String> hex = new HashMap<>();
    private final Map<String, String> base64 = new HashMap<>();

    long addAll(Path file, String what) throws IOException {
      if (!Files.exists(file)) {
        return 0;
      }
      long before = hex.size();
      for (String line : Files.readAllLines(file)) {
        if (line.length() == HEX_CHARS) {
          add(line, what);
        }
      }
      return hex.size() - before;
    }

    void add(String hexValue, String what) {
      byte[] value = HexFormat.of().parseHex(hexValue);
      hex.put(hexValue.toLowerCase(Locale.ROOT), what);
      base64.put(Base64.getEncoder().withoutPadding().encodeToString(value), what);
      base64.put(Base64.getUrlEncoder().withoutPadding().encodeToString(value), what);
    }

    /** What is found in {@code text}, one entry per hit, naming the kind and its position. */
    List<String> find(String text) {
      List<String> hits = new ArrayList<>();
      scanRuns(text, HEX_CHARS, Forbidden::isHex, w -> hex.get(w.toLowerCase(Locale.ROOT)), hits);
      scanRuns(text, BASE64_CHARS, Forbidden::isBase64, base64::get, hits);
      return hits;
    }

    private static void scanRuns(
        String text,
        int width,
        java.util.function.IntPredicate alphabet,
        java.util.function.Function<String, String> lookup,
        List<String> hits) {
      int n = text.length();
      int i = 0;
      while (i < n) {
        if (!alphabet.test(text.charAt(i))) {
          i++;
          continue;
        }
        int start = i;
        while (i < n && alphabet.test(text.charAt(i))) {
          i++;
        }
        for (int from = start; from + width <= i; from++) {
          String what = lookup.apply(text.substring(from, from + width));
          if (what != null) {
            hits.add(what + " at offset " + from);
          }
        }
      }
    }

    private static boolean isHex(int c) {
      return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }

    private static boolean isBase64(int c) {
      return c >= '0' && c <= '9'
          || c >= 'a' && c <= 'z'
          || c >= 'A' && c <= 'Z'
          || c == '+'
          || c == '/'
          || c == '-'
          || c == '_';
    }
  }
}
