package dev.authgate.protocol.keyfile;

import dev.authgate.protocol.identity.HostKey;
import dev.authgate.protocol.identity.HostPublicKey;
import dev.authgate.protocol.keyfile.KeyText.Line;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;

/**
 * The server's host key file, {@code KEYS/host.key} (mode 0600, like every key file):
 *
 * <pre>
 * # authgate host key: this server's identity (docs/SECURITY.md). Mode 0600; copy it only to the
 * # other servers of this cluster.
 * authgate-host-key 1
 * created 2026-12-06T23:00:00Z
 * private-key BASE64 (the 32-byte Ed25519 seed)
 * public-key BASE64 (32 bytes; checked against the seed when read)
 * retired SHA256:… (a key this one replaced; verified clients drop it from their pins)
 * </pre>
 *
 * The next key of a rotation ({@code keys host-key rotate}) waits in {@code KEYS/host-next.key}, in
 * the same format. Immutable; {@link #toString} never shows the private key.
 *
 * @param key the host key
 * @param created when it was made
 * @param retired fingerprints of the keys it replaced, oldest first
 */
public record HostKeyFile(HostKey key, Instant created, java.util.List<String> retired) {
  static final String MAGIC = "authgate-host-key";

  /** The file's name in the keystore directory. */
  public static final String FILE_NAME = "host.key";

  /** The next key's file name in the keystore directory, while a rotation is under way. */
  public static final String NEXT_FILE_NAME = "host-next.key";

  /** At most this many retired fingerprints are kept (the oldest are dropped). */
  public static final int MAX_RETIRED = 4;

  /** Validates and copies. */
  public HostKeyFile {
    retired = java.util.List.copyOf(retired);
    for (String fingerprint : retired) {
      if (!HostPublicKey.isFingerprint(fingerprint)) {
        throw new IllegalArgumentException("not a host key fingerprint: " + fingerprint);
      }
    }
  }

  /** A key that replaced none. */
  public HostKeyFile(HostKey key, Instant created) {
    this(key, created, java.util.List.of());
  }

  /** The file's text. */
  public String format() {
    return "# authgate host key: this server's identity (docs/SECURITY.md). Mode 0600; copy it only"
        + " to the other servers of this cluster.\n"
        + MAGIC
        + " 1\ncreated "
        + created
        + "\nprivate-key "
        + KeyText.base64(key.seed())
        + "\npublic-key "
        + KeyText.base64(key.publicKey().bytes())
        + "\n"
        + retired.stream()
            .map(r -> "retired " + r + "\n")
            .collect(java.util.stream.Collectors.joining());
  }

  /**
   * Parses a host key file's text.
   *
   * @param file named in error messages (never a key)
   * @throws KeyFileException naming the file and line of the problem
   */
  public static HostKeyFile parse(Path file, String text) throws KeyFileException {
    var lines = KeyText.parse(file, text);
    KeyText.requireHeader(file, lines, MAGIC);
    byte[] seed = null;
    byte[] publicKey = null;
    Instant created = null;
    java.util.Set<String> seen = new java.util.HashSet<>();
    java.util.List<String> retired = new java.util.ArrayList<>();
    for (Line line : lines.subList(1, lines.size())) {
      if (line.name().equals("retired")) {
        if (!HostPublicKey.isFingerprint(line.value())
            || retired.size() == MAX_RETIRED
            || retired.contains(line.value())) {
          throw KeyText.error(
              file,
              line.number(),
              "a retired line holds one fingerprint (SHA256:…), each once; at most " + MAX_RETIRED);
        }
        retired.add(line.value());
        continue;
      }
      if (!seen.add(line.name())) {
        throw KeyText.error(file, line.number(), "a second '" + line.name() + "' line");
      }
      switch (line.name()) {
        case "private-key" -> seed = KeyText.key32(file, line);
        case "public-key" -> publicKey = KeyText.key32(file, line);
        case "created" -> created = instant(file, line);
        default -> throw KeyText.error(file, line.number(), "unknown field '" + line.name() + "'");
      }
    }
    if (seed == null || publicKey == null || created == null) {
      throw new KeyFileException(
          file, file + " is incomplete: it needs created, private-key and public-key lines");
    }
    HostKey key = HostKey.fromSeed(seed);
    Arrays.fill(seed, (byte) 0);
    if (!key.publicKey().equals(new HostPublicKey(checkPoint(file, publicKey)))) {
      throw new KeyFileException(
          file, file + ": public-key is not the private key's; the file was edited or mixed up");
    }
    return new HostKeyFile(key, created, retired);
  }

  private static byte[] checkPoint(Path file, byte[] publicKey) throws KeyFileException {
    try {
      return new HostPublicKey(publicKey).bytes();
    } catch (IllegalArgumentException e) {
      throw new KeyFileException(file, file + ": public-key is not an Ed25519 public key");
    }
  }

  private static Instant instant(Path file, Line line) throws KeyFileException {
    try {
      return Instant.parse(line.value());
    } catch (DateTimeParseException e) {
      throw KeyText.error(
          file, line.number(), "created must be an instant like 2026-12-06T23:00:00Z");
    }
  }

  @Override
  public String toString() {
    return "HostKeyFile[" + key.publicKey().fingerprint() + ", created " + created + "]";
  }
}
