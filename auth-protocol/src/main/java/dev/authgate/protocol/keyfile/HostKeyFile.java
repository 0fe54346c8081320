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
 * </pre>
 *
 * Immutable; {@link #toString} never shows the private key.
 *
 * @param key the host key
 * @param created when it was made
 */
public record HostKeyFile(HostKey key, Instant created) {
  static final String MAGIC = "authgate-host-key";

  /** The file's name in the keystore directory. */
  public static final String FILE_NAME = "host.key";

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
        + "\n";
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
    for (Line line : lines.subList(1, lines.size())) {
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
    return new HostKeyFile(key, created);
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
