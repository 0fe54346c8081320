package dev.authgate.protocol.keyfile;

import dev.authgate.protocol.keyfile.KeyText.Line;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the server keeps of one admin API token, in {@code KEYS/admin/<token id>.token}: the digest
 * of its secret (never the token), its name, what it may do and until when.
 *
 * <pre>
 * authgate-admin-token 1
 * token-id 7f3a09c2b1d4e856
 * name ci
 * scope read                   (or: write, which may read too)
 * digest BASE64                (SHA-256, see AdminToken#digest)
 * created 2026-12-08T10:00:00Z
 * expires 2027-03-08T10:00:00Z
 * revoked 2026-12-09T10:30:00Z (only once revoked)
 * </pre>
 *
 * Immutable.
 *
 * @param tokenId 16 hex digits
 * @param name the operator's name for it (unique among tokens not revoked)
 * @param scope what it may do
 * @param digest SHA-256 as {@link AdminToken#digest()} makes it
 * @param created when it was made
 * @param expires when it stops working
 * @param revoked when it was revoked, or null
 */
public record AdminTokenFile(
    String tokenId,
    String name,
    Scope scope,
    byte[] digest,
    Instant created,
    Instant expires,
    Instant revoked) {
  static final String MAGIC = "authgate-admin-token";

  /** The syntax of a token's name. */
  public static final String NAME_RULE =
      "1 to 64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit";

  /** What a token may do. */
  public enum Scope {
    /** Every GET: lists, the audit log, metrics of the console. */
    READ,
    /** READ, and every change (add, revoke, approve, close a session, …). */
    WRITE;

    /** The name in files, options and JSON. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The scope named {@code label}. */
    public static Scope of(String label) {
      return switch (label) {
        case "read" -> READ;
        case "write" -> WRITE;
        default -> throw new IllegalArgumentException("a scope is read or write");
      };
    }
  }

  /** Validates the parts. */
  public AdminTokenFile {
    if (!tokenId.matches("[0-9a-f]{16}")) {
      throw new IllegalArgumentException("an admin token id is 16 lower-case hex digits");
    }
    if (!isValidName(name)) {
      throw new IllegalArgumentException("an admin token's name must be " + NAME_RULE);
    }
    if (digest.length != 32) {
      throw new IllegalArgumentException("an admin token digest is 32 bytes");
    }
    digest = digest.clone();
  }

  /** Whether {@code name} may name a token. */
  public static boolean isValidName(String name) {
    return name != null && name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  }

  @Override
  public byte[] digest() {
    return digest.clone();
  }

  /** {@code active}, {@code expired} or {@code revoked} at {@code now}. */
  public String stateAt(Instant now) {
    if (revoked != null) {
      return "revoked";
    }
    return now.isBefore(expires) ? "active" : "expired";
  }

  /** A copy revoked at {@code when} (kept if it was revoked before). */
  public AdminTokenFile revokedAt(Instant when) {
    return new AdminTokenFile(
        tokenId, name, scope, digest, created, expires, revoked == null ? when : revoked);
  }

  /** The file text. */
  public String format() {
    StringBuilder out =
        new StringBuilder()
            .append("# authgate admin token ")
            .append(tokenId)
            .append(": the digest of its secret only, never the token.\n")
            .append(MAGIC)
            .append(" 1\ntoken-id ")
            .append(tokenId)
            .append("\nname ")
            .append(name)
            .append("\nscope ")
            .append(scope.label())
            .append("\ndigest ")
            .append(KeyText.base64(digest))
            .append("\ncreated ")
            .append(created)
            .append("\nexpires ")
            .append(expires)
            .append('\n');
    if (revoked != null) {
      out.append("revoked ").append(revoked).append('\n');
    }
    return out.toString();
  }

  /**
   * Parses a token file.
   *
   * @throws KeyFileException naming the file and line of the problem, never a value
   */
  public static AdminTokenFile parse(Path file, String text) throws KeyFileException {
    List<Line> lines = KeyText.parse(file, text);
    KeyText.requireHeader(file, lines, MAGIC);
    String tokenId = null;
    String name = null;
    Scope scope = null;
    byte[] digest = null;
    Instant created = null;
    Instant expires = null;
    Instant revoked = null;
    Set<String> seen = new HashSet<>();
    for (Line line : lines.subList(1, lines.size())) {
      if (!seen.add(line.name())) {
        throw KeyText.error(file, line.number(), line.name() + " appears twice");
      }
      switch (line.name()) {
        case "token-id" -> tokenId = KeyText.matching(file, line, "[0-9a-f]{16}", "16 hex digits");
        case "name" ->
            name = KeyText.matching(file, line, "[A-Za-z0-9][A-Za-z0-9._-]{0,63}", NAME_RULE);
        case "scope" ->
            scope = Scope.of(KeyText.matching(file, line, "read|write", "read or write"));
        case "digest" -> digest = KeyText.key32(file, line);
        case "created" -> created = KeyText.instant(file, line);
        case "expires" -> expires = KeyText.instant(file, line);
        case "revoked" -> revoked = KeyText.instant(file, line);
        default -> throw KeyText.error(file, line.number(), "unknown field '" + line.name() + "'");
      }
    }
    if (Arrays.asList(tokenId, name, scope, digest, created, expires).contains(null)) {
      throw new KeyFileException(file, file + " is incomplete");
    }
    return new AdminTokenFile(tokenId, name, scope, digest, created, expires, revoked);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AdminTokenFile f
        && f.tokenId.equals(tokenId)
        && f.name.equals(name)
        && f.scope == scope
        && Arrays.equals(f.digest, digest)
        && f.created.equals(created)
        && f.expires.equals(expires)
        && java.util.Objects.equals(f.revoked, revoked);
  }

  @Override
  public int hashCode() {
    return tokenId.hashCode();
  }

  @Override
  public String toString() {
    return "AdminTokenFile[" + tokenId + " " + name + " " + scope.label() + "]";
  }
}
