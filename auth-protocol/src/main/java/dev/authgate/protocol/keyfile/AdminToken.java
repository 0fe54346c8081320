package dev.authgate.protocol.keyfile;

import dev.authgate.protocol.crypto.RandomSource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An admin API token as the operator is given it once: {@code aga1-<token id: 16 hex>-<secret: 32
 * bytes, base64url without padding>}. The id names it (in lists, audits, revocation); the server
 * keeps only the SHA-256 of the secret ({@link #digest()}), which a copy of the keystore cannot
 * turn back into a token. Immutable; {@link #toString} never shows the secret.
 *
 * @param tokenId 16 lower-case hex digits
 * @param secret the 32-byte secret
 */
public record AdminToken(String tokenId, byte[] secret) {
  private static final Pattern TEXT = Pattern.compile("aga1-([0-9a-f]{16})-([A-Za-z0-9_-]{43})");

  /** Validates the parts. */
  public AdminToken {
    if (!tokenId.matches("[0-9a-f]{16}")) {
      throw new IllegalArgumentException("an admin token id is 16 lower-case hex digits");
    }
    if (secret.length != 32) {
      throw new IllegalArgumentException("an admin token secret is 32 bytes");
    }
    secret = secret.clone();
  }

  /** A fresh token: 8 random bytes of id, 32 of secret. */
  public static AdminToken generate(RandomSource randomness) {
    return new AdminToken(HexFormat.of().formatHex(randomness.bytes(8)), randomness.bytes(32));
  }

  /**
   * Parses what a client presented (surrounding white space ignored).
   *
   * @throws IllegalArgumentException if it is not an admin token; the message never repeats the
   *     input
   */
  public static AdminToken parse(String text) {
    Matcher m = TEXT.matcher(text.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "not an admin token: expected aga1-<16 hex digits>-<43 characters>, as printed by"
              + " 'auth-server admin token create'");
    }
    return new AdminToken(m.group(1), Base64.getUrlDecoder().decode(m.group(2)));
  }

  /** The text to hand to the operator or the automation, once. */
  public String text() {
    return "aga1-" + tokenId + "-" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
  }

  /** The secret (a copy). */
  @Override
  public byte[] secret() {
    return secret.clone();
  }

  /** What the server keeps: SHA-256 over the token id and the secret. */
  public byte[] digest() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(("authgate admin token " + tokenId + "\n").getBytes(StandardCharsets.US_ASCII));
      return sha.digest(secret);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  /** Whether this token's digest is {@code stored}, compared in constant time. */
  public boolean matches(byte[] stored) {
    return MessageDigest.isEqual(digest(), stored);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AdminToken t
        && t.tokenId.equals(tokenId)
        && Arrays.equals(t.secret, secret);
  }

  @Override
  public int hashCode() {
    return tokenId.hashCode();
  }

  @Override
  public String toString() {
    return "AdminToken[" + tokenId + "]";
  }
}
