package dev.authgate.protocol.keyfile;

import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.identity.HostPublicKey;
import dev.authgate.protocol.keyfile.KeyText.Line;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A client's credential: its id, the key id, the 32-byte secret S and the fingerprints of the
 * server host keys it trusts (its pins). It lives only on the client machine, in a mode-0600 file:
 *
 * <pre>
 * authgate-credential 1
 * client-id sensor-1
 * key-id k1
 * secret BASE64(32 bytes)
 * host-key SHA256:… (one line per pinned key; a credential made before host keys has none)
 * </pre>
 *
 * Immutable; {@link #toString()} never shows the secret.
 */
public final class Credential {
  static final String MAGIC = "authgate-credential";

  private final String clientId;
  private final String keyId;
  private final byte[] secret;
  private final List<String> hostKeys;

  /** At most this many host keys are pinned. */
  public static final int MAX_HOST_KEYS = 16;

  /** A credential without pins; validates the ids and the secret's length. */
  public Credential(String clientId, String keyId, byte[] secret) {
    this(clientId, keyId, secret, List.of());
  }

  /**
   * A credential; validates the ids, the secret's length and the pins.
   *
   * @param hostKeys fingerprints ({@code SHA256:…}) of the host keys it trusts, without repeats
   */
  public Credential(String clientId, String keyId, byte[] secret, List<String> hostKeys) {
    this.clientId = ClientIds.requireValid(clientId, "client id");
    this.keyId = ClientIds.requireValid(keyId, "key id");
    if (secret.length != 32) {
      throw new IllegalArgumentException("a secret is 32 bytes");
    }
    this.secret = secret.clone();
    this.hostKeys = List.copyOf(new java.util.LinkedHashSet<>(hostKeys));
    for (String pin : this.hostKeys) {
      if (!HostPublicKey.isFingerprint(pin)) {
        throw new IllegalArgumentException("not a host key fingerprint: " + pin);
      }
    }
    if (this.hostKeys.size() > MAX_HOST_KEYS) {
      throw new IllegalArgumentException("at most " + MAX_HOST_KEYS + " pinned host keys");
    }
  }

  /** The fingerprints of the host keys this credential trusts, in file order. */
  public List<String> hostKeys() {
    return hostKeys;
  }

  /** This credential with {@code pins} in place of its pins. */
  public Credential withHostKeys(List<String> pins) {
    return new Credential(clientId, keyId, secret, pins);
  }

  /** The client id. */
  public String clientId() {
    return clientId;
  }

  /** The key id. */
  public String keyId() {
    return keyId;
  }

  /** The identity a handshake needs, derived from the secret. */
  public ClientIdentity identity() {
    return new ClientIdentity(clientId, keyId, scramKeys());
  }

  /** The SCRAM keys derived from the secret. */
  public ScramKeys scramKeys() {
    return ScramKeys.fromSaltedPassword(secret);
  }

  /** The file text. */
  public String format() {
    return "# authgate client credential for '"
        + clientId
        + "'. It holds the secret: keep it mode 0600 on this machine only.\n"
        + MAGIC
        + " 1\nclient-id "
        + clientId
        + "\nkey-id "
        + keyId
        + "\nsecret "
        + KeyText.base64(secret)
        + "\n"
        + hostKeyLines();
  }

  private String hostKeyLines() {
    StringBuilder lines = new StringBuilder();
    for (String pin : hostKeys) {
      lines.append("host-key ").append(pin).append('\n');
    }
    return lines.toString();
  }

  /**
   * Parses a credential file's text.
   *
   * @param file named in error messages
   * @throws KeyFileException naming the file and line of the problem
   */
  public static Credential parse(Path file, String text) throws KeyFileException {
    var lines = KeyText.parse(file, text);
    KeyText.requireHeader(file, lines, MAGIC);
    String clientId = null;
    String keyId = null;
    byte[] secret = null;
    List<String> pins = new ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (Line line : lines.subList(1, lines.size())) {
      if (line.name().equals("host-key")) {
        if (!HostPublicKey.isFingerprint(line.value()) || pins.contains(line.value())) {
          throw KeyText.error(
              file,
              line.number(),
              "a host-key line holds one fingerprint (SHA256: and 43 base64 characters), each"
                  + " once");
        }
        if (pins.size() == MAX_HOST_KEYS) {
          throw KeyText.error(
              file, line.number(), "more than " + MAX_HOST_KEYS + " host-key lines");
        }
        pins.add(line.value());
        continue;
      }
      if (!seen.add(line.name())) {
        // Two client-id lines (one appended by a hostile writer) must not leave it to the reader
        // which one counts.
        throw KeyText.error(
            file, line.number(), "a second '" + line.name() + "' line; a credential has one");
      }
      switch (line.name()) {
        case "client-id" -> clientId = KeyText.id(file, line);
        case "key-id" -> keyId = KeyText.id(file, line);
        case "secret" -> secret = KeyText.key32(file, line);
        default -> throw KeyText.error(file, line.number(), "unknown field '" + line.name() + "'");
      }
    }
    if (clientId == null || keyId == null || secret == null) {
      throw new KeyFileException(
          file, file + " is incomplete: it needs client-id, key-id and secret lines");
    }
    return new Credential(clientId, keyId, secret, pins);
  }

  /** Reads and parses a credential file, refusing one that group or others can read. */
  public static Credential load(Path file) throws KeyFileException {
    return parse(file, KeyFiles.readPrivate(file));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Credential c
        && c.clientId.equals(clientId)
        && c.keyId.equals(keyId)
        && java.security.MessageDigest.isEqual(c.secret, secret)
        && c.hostKeys.equals(hostKeys);
  }

  @Override
  public int hashCode() {
    return Objects.hash(clientId, keyId);
  }

  @Override
  public String toString() {
    return "Credential[" + clientId + ", key " + keyId + ", secret hidden]";
  }
}
