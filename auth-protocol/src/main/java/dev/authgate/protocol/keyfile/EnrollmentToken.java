package dev.authgate.protocol.keyfile;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.identity.HostPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A one-time enrollment token as the operator hands it to a machine: {@code agt2-<token id: 16
 * hex>-<secret: 32 bytes, base64url without padding>-<SHA-256 of the server's host key, base64url
 * without padding>}. The token id names it (in lists, audits, revocation); the secret is a
 * credential secret for the handshake, so a machine enrolls over an ordinary verified session
 * (docs/PROTOCOL.md §5.5): it claims the client id {@code token:<token id>} with key id {@code t1},
 * and the server holds only the secret's verifiers. The host key pin lets the machine refuse a
 * server that cannot sign with that key before it sends anything (a holder of a fleet token can
 * compute the token's verifier, so the verifier alone proves nothing). Tokens made before host keys
 * ({@code agt1-…}, no pin) still parse; the enrolling machine must then be given the fingerprint.
 * Immutable; {@link #toString} never shows the secret.
 *
 * @param tokenId 16 lower-case hex digits
 * @param secret the 32-byte secret
 * @param hostKey the pinned host key's fingerprint ({@code SHA256:…}), or null for an {@code agt1}
 *     token
 */
public record EnrollmentToken(String tokenId, byte[] secret, String hostKey) {
  /** The prefix of the client id a token session claims; not a valid client id itself. */
  public static final String CLIENT_ID_PREFIX = "token:";

  /** The key id a token session claims. */
  public static final String KEY_ID = "t1";

  private static final Pattern TEXT =
      Pattern.compile("agt(?:1|2)-([0-9a-f]{16})-([A-Za-z0-9_-]{43})(?:-([A-Za-z0-9_-]{43}))?");
  private static final Pattern ID = Pattern.compile("[0-9a-f]{16}");

  /** Validates the parts. */
  public EnrollmentToken {
    if (!ID.matcher(tokenId).matches()) {
      throw new IllegalArgumentException("a token id is 16 lower-case hex digits");
    }
    if (secret.length != 32) {
      throw new IllegalArgumentException("a token secret is 32 bytes");
    }
    if (hostKey != null && !HostPublicKey.isFingerprint(hostKey)) {
      throw new IllegalArgumentException("not a host key fingerprint: " + hostKey);
    }
    secret = secret.clone();
  }

  /** A token without a host key pin. */
  public EnrollmentToken(String tokenId, byte[] secret) {
    this(tokenId, secret, null);
  }

  /** A fresh token: 8 random bytes of id, 32 of secret; no pin yet ({@link #withHostKey}). */
  public static EnrollmentToken generate(RandomSource randomness) {
    return new EnrollmentToken(HexFormat.of().formatHex(randomness.bytes(8)), randomness.bytes(32));
  }

  /** This token pinning the host key of {@code fingerprint} ({@code SHA256:…}). */
  public EnrollmentToken withHostKey(String fingerprint) {
    return new EnrollmentToken(tokenId, secret, fingerprint);
  }

  /**
   * Parses the text an operator was given (surrounding white space ignored).
   *
   * @throws IllegalArgumentException if it is not a token; the message never repeats the input
   */
  public static EnrollmentToken parse(String text) {
    String stripped = text.strip();
    Matcher m = TEXT.matcher(stripped);
    // agt1 never has a pin; agt2 always has one.
    if (!m.matches() || stripped.startsWith("agt1-") != (m.group(3) == null)) {
      throw new IllegalArgumentException(
          "not an enrollment token: expected agt2-<16 hex digits>-<43 characters>-<43"
              + " characters>, as printed by 'auth-server keys token create'");
    }
    String pin =
        m.group(3) == null
            ? null
            : HostPublicKey.fingerprintOfHash(Base64.getUrlDecoder().decode(m.group(3)));
    return new EnrollmentToken(m.group(1), Base64.getUrlDecoder().decode(m.group(2)), pin);
  }

  /** Whether {@code clientId} is a token session's claimed id. */
  public static boolean isTokenClientId(String clientId) {
    return clientId.startsWith(CLIENT_ID_PREFIX);
  }

  /** The token id in a token session's claimed client id, or null if it is not one. */
  public static String tokenIdOf(String clientId) {
    if (!isTokenClientId(clientId)) {
      return null;
    }
    String id = clientId.substring(CLIENT_ID_PREFIX.length());
    return ID.matcher(id).matches() ? id : null;
  }

  /** The text to hand to the machine: {@code agt2-…} with the pin, {@code agt1-…} without. */
  public String text() {
    Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
    if (hostKey == null) {
      return "agt1-" + tokenId + "-" + url.encodeToString(secret);
    }
    return "agt2-"
        + tokenId
        + "-"
        + url.encodeToString(secret)
        + "-"
        + url.encodeToString(HostPublicKey.hashOfFingerprint(hostKey));
  }

  /** The secret (a copy). */
  @Override
  public byte[] secret() {
    return secret.clone();
  }

  /** The SCRAM keys of the secret; the server keeps only their verifier. */
  public ScramKeys scramKeys() {
    return ScramKeys.fromSaltedPassword(secret);
  }

  /** Who a token session claims to be. */
  public ClientIdentity identity() {
    return new ClientIdentity(CLIENT_ID_PREFIX + tokenId, KEY_ID, scramKeys());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EnrollmentToken t
        && t.tokenId.equals(tokenId)
        && Arrays.equals(t.secret, secret)
        && java.util.Objects.equals(t.hostKey, hostKey);
  }

  @Override
  public int hashCode() {
    return tokenId.hashCode();
  }

  @Override
  public String toString() {
    return "EnrollmentToken[" + tokenId + ", secret hidden]";
  }
}
