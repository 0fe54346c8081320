package dev.authgate.protocol.keyfile;

import dev.authgate.protocol.crypto.Verifier;
import dev.authgate.protocol.keyfile.KeyText.Line;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the server keeps of one enrollment token, in {@code KEYS/tokens/<token id>.token}: the
 * verifier of its secret (never the token), when it expires, how often it may be used, and what it
 * enrolls as.
 *
 * <pre>
 * authgate-token 1
 * token-id 7f3a09c2b1d4e856
 * stored-key BASE64
 * server-key BASE64
 * created 2026-11-23T10:00:00Z
 * expires 2026-11-23T11:00:00Z
 * uses 1
 * used 0
 * approve false
 * client-id sensor-7          (or: prefix sensor-; neither: the machine names itself)
 * revoked 2026-11-23T10:30:00Z (only once revoked)
 * </pre>
 *
 * Immutable.
 *
 * @param tokenId 16 hex digits
 * @param verifier StoredKey and ServerKey of the token's secret
 * @param created when it was made
 * @param expires when it stops working
 * @param uses how many machines it may enroll
 * @param used how many it has enrolled
 * @param approve whether each enrollment waits for {@code keys approve}
 * @param clientId the one id it enrolls as, or null
 * @param prefix the prefix every id it enrolls must have, or null
 * @param revoked when it was revoked, or null
 */
public record TokenFile(
    String tokenId,
    Verifier verifier,
    Instant created,
    Instant expires,
    int uses,
    int used,
    boolean approve,
    String clientId,
    String prefix,
    Instant revoked) {
  static final String MAGIC = "authgate-token";

  /** Why a token cannot enroll now, or null if it can. */
  public String unusableReason(Instant now) {
    if (revoked != null) {
      return "token-revoked";
    }
    if (!now.isBefore(expires)) {
      return "token-expired";
    }
    if (used >= uses) {
      return "token-used";
    }
    return null;
  }

  /** A copy with one more use. */
  public TokenFile usedOnce() {
    return new TokenFile(
        tokenId, verifier, created, expires, uses, used + 1, approve, clientId, prefix, revoked);
  }

  /** A copy revoked at {@code when}. */
  public TokenFile revokedAt(Instant when) {
    return new TokenFile(
        tokenId, verifier, created, expires, uses, used, approve, clientId, prefix, when);
  }

  /** The file text. */
  public String format() {
    StringBuilder out =
        new StringBuilder()
            .append("# authgate enrollment token ")
            .append(tokenId)
            .append(": the verifier of its secret only, never the token.\n")
            .append(MAGIC)
            .append(" 1\ntoken-id ")
            .append(tokenId)
            .append("\nstored-key ")
            .append(KeyText.base64(verifier.storedKey()))
            .append("\nserver-key ")
            .append(KeyText.base64(verifier.serverKey()))
            .append("\ncreated ")
            .append(created)
            .append("\nexpires ")
            .append(expires)
            .append("\nuses ")
            .append(uses)
            .append("\nused ")
            .append(used)
            .append("\napprove ")
            .append(approve)
            .append('\n');
    if (clientId != null) {
      out.append("client-id ").append(clientId).append('\n');
    }
    if (prefix != null) {
      out.append("prefix ").append(prefix).append('\n');
    }
    if (revoked != null) {
      out.append("revoked ").append(revoked).append('\n');
    }
    return out.toString();
  }

  /**
   * Parses a token file.
   *
   * @throws KeyFileException naming the file and line of the problem
   */
  public static TokenFile parse(Path file, String text) throws KeyFileException {
    List<Line> lines = KeyText.parse(file, text);
    KeyText.requireHeader(file, lines, MAGIC);
    String tokenId = null;
    byte[] storedKey = null;
    byte[] serverKey = null;
    Instant created = null;
    Instant expires = null;
    Integer uses = null;
    Integer used = null;
    Boolean approve = null;
    String clientId = null;
    String prefix = null;
    Instant revoked = null;
    Set<String> seen = new HashSet<>();
    for (Line line : lines.subList(1, lines.size())) {
      if (!seen.add(line.name())) {
        throw KeyText.error(file, line.number(), line.name() + " appears twice");
      }
      switch (line.name()) {
        case "token-id" -> tokenId = KeyText.matching(file, line, "[0-9a-f]{16}", "16 hex digits");
        case "stored-key" -> storedKey = KeyText.key32(file, line);
        case "server-key" -> serverKey = KeyText.key32(file, line);
        case "created" -> created = KeyText.instant(file, line);
        case "expires" -> expires = KeyText.instant(file, line);
        case "uses" -> uses = count(file, line, 1);
        case "used" -> used = count(file, line, 0);
        case "approve" ->
            approve =
                Boolean.parseBoolean(KeyText.matching(file, line, "true|false", "true or false"));
        case "client-id" -> clientId = KeyText.id(file, line);
        case "prefix" ->
            prefix =
                KeyText.matching(
                    file, line, "[A-Za-z0-9_][A-Za-z0-9._-]{0,47}", "the start of a client id");
        case "revoked" -> revoked = KeyText.instant(file, line);
        default -> throw KeyText.error(file, line.number(), "unknown field '" + line.name() + "'");
      }
    }
    if (Arrays.asList(tokenId, storedKey, serverKey, created, expires, uses, used, approve)
        .contains(null)) {
      throw new KeyFileException(file, file + " is incomplete");
    }
    if (clientId != null && prefix != null) {
      throw new KeyFileException(file, file + " has both client-id and prefix");
    }
    return new TokenFile(
        tokenId,
        new Verifier(storedKey, serverKey),
        created,
        expires,
        uses,
        used,
        approve,
        clientId,
        prefix,
        revoked);
  }

  private static int count(Path file, Line line, int least) throws KeyFileException {
    try {
      int n = Integer.parseInt(line.value());
      if (n >= least && n <= 1_000_000) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw KeyText.error(file, line.number(), line.name() + " must be a count from " + least);
  }
}
