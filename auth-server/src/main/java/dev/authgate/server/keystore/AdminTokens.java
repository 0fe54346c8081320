package dev.authgate.server.keystore;

import dev.authgate.protocol.keyfile.AdminToken;
import dev.authgate.protocol.keyfile.AdminTokenFile;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.KeyFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A keystore's admin API tokens ({@code KEYS/admin}, digests only): made, listed and revoked by
 * {@code auth-server admin token}, checked by the admin API on every request. Every change holds
 * the keystore's lock; a check reads the token's own file, so a revocation counts from the next
 * request, in every server sharing the keystore.
 */
public final class AdminTokens {
  /** Why a presented token was refused ({@code reason} of {@code admin.refused}). */
  public enum Refusal {
    /** Not shaped like a token. */
    MALFORMED("malformed"),
    /** No token with its id (or its file cannot be read safely). */
    UNKNOWN("unknown-token"),
    /** The id is known, the secret is not its. */
    BAD_SECRET("bad-secret"),
    /** Its time is up. */
    EXPIRED("expired-token"),
    /** An operator revoked it. */
    REVOKED("revoked-token");

    private final String label;

    Refusal(String label) {
      this.label = label;
    }

    /** The name in the audit log and in the API's error body. */
    public String label() {
      return label;
    }
  }

  /**
   * What a check found: the token's file, or why it was refused (and the file, if there was one).
   *
   * @param token the token's file, or null
   * @param refusal why it was refused, or null if it may be used
   * @param tokenId the id the presented text named (not a secret), or null if it was malformed
   */
  public record Check(AdminTokenFile token, Refusal refusal, String tokenId) {
    /** Whether the token may be used. */
    public boolean accepted() {
      return refusal == null;
    }
  }

  private final KeystoreDirectory keystore;

  AdminTokens(KeystoreDirectory keystore) {
    this.keystore = keystore;
  }

  /** {@code KEYS/admin}: one {@code <token id>.token} per token. */
  public Path directory() {
    return keystore.path().resolve("admin");
  }

  private Path fileOf(String tokenId) {
    if (!tokenId.matches("[0-9a-f]{16}")) {
      throw new IllegalArgumentException("an admin token id is 16 hex digits");
    }
    return directory().resolve(tokenId + ".token");
  }

  /**
   * Stores the digest of {@code token} under {@code name}; the token itself goes back to the
   * operator, once.
   *
   * @throws IllegalArgumentException if the name is malformed or taken by a token not revoked, or
   *     the lifetime is not positive
   */
  public AdminTokenFile create(
      AdminToken token, String name, AdminTokenFile.Scope scope, Duration lifetime)
      throws IOException {
    if (!AdminTokenFile.isValidName(name)) {
      throw new IllegalArgumentException("--name must be " + AdminTokenFile.NAME_RULE);
    }
    if (lifetime.isZero() || lifetime.isNegative()) {
      throw new IllegalArgumentException("--expires must be positive");
    }
    return keystore.locked(
        () -> {
          Instant now = keystore.now();
          for (AdminTokenFile other : list()) {
            if (other.name().equals(name) && other.revoked() == null) {
              throw new IllegalArgumentException(
                  "an admin token named '"
                      + name
                      + "' exists ("
                      + other.tokenId()
                      + ", "
                      + other.stateAt(now)
                      + "); revoke it first or pick another name");
            }
          }
          KeyFiles.ensurePrivateDirectory(directory());
          AdminTokenFile file =
              new AdminTokenFile(
                  token.tokenId(), name, scope, token.digest(), now, now.plus(lifetime), null);
          KeyFiles.writePrivate(fileOf(token.tokenId()), file.format(), false);
          return file;
        });
  }

  /** A token's file, if there is one that is safe to read (a regular file, this user's, 0600). */
  public Optional<AdminTokenFile> read(String tokenId) {
    Path file = fileOf(tokenId);
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    try {
      keystore.ownership.checkFile(file);
      AdminTokenFile token = AdminTokenFile.parse(file, KeyFiles.readPrivate(file));
      return token.tokenId().equals(tokenId) ? Optional.of(token) : Optional.empty();
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Every readable token, oldest first. */
  public List<AdminTokenFile> list() throws IOException {
    List<AdminTokenFile> tokens = new ArrayList<>();
    Path dir = directory();
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return tokens;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.token")) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        String id = name.substring(0, name.length() - ".token".length());
        if (id.matches("[0-9a-f]{16}")) {
          read(id).ifPresent(tokens::add);
        }
      }
    }
    tokens.sort(Comparator.comparing(AdminTokenFile::created).thenComparing(AdminTokenFile::name));
    return tokens;
  }

  /**
   * The token named {@code nameOrId}: its id, or the name of a token not revoked.
   *
   * @throws KeyFileException if there is none
   */
  public AdminTokenFile find(String nameOrId) throws IOException {
    if (nameOrId.matches("[0-9a-f]{16}")) {
      Optional<AdminTokenFile> byId = read(nameOrId);
      if (byId.isPresent()) {
        return byId.get();
      }
    }
    return list().stream()
        .filter(t -> t.name().equals(nameOrId) && t.revoked() == null)
        .findFirst()
        .orElseThrow(
            () ->
                new KeyFileException(
                    directory(),
                    "no admin token named '"
                        + (AdminTokenFile.isValidName(nameOrId) ? nameOrId : "?")
                        + "' in "
                        + directory()));
  }

  /** Revokes a token (by id or name): the API refuses it from its next request on. */
  public AdminTokenFile revoke(String nameOrId) throws IOException {
    return keystore.locked(
        () -> {
          AdminTokenFile token = find(nameOrId);
          AdminTokenFile revoked = token.revokedAt(keystore.now());
          KeyFiles.writePrivate(fileOf(token.tokenId()), revoked.format(), true);
          if (read(token.tokenId()).map(AdminTokenFile::revoked).isEmpty()) {
            throw new KeyFileException(
                fileOf(token.tokenId()),
                "revoking admin token " + token.tokenId() + " did not stick");
          }
          return revoked;
        });
  }

  /**
   * Checks a presented token (the text after {@code Bearer}): its file, its secret in constant
   * time, its expiry and revocation.
   */
  public Check check(String presented) {
    AdminToken token;
    try {
      token = AdminToken.parse(presented);
    } catch (IllegalArgumentException e) {
      return new Check(null, Refusal.MALFORMED, null);
    }
    Optional<AdminTokenFile> file = read(token.tokenId());
    if (file.isEmpty()) {
      return new Check(null, Refusal.UNKNOWN, token.tokenId());
    }
    AdminTokenFile stored = file.get();
    if (!token.matches(stored.digest())) {
      return new Check(stored, Refusal.BAD_SECRET, token.tokenId());
    }
    return state(stored);
  }

  /**
   * A token already proved (a console session's) as its file says now: revoked, expired, gone, or
   * still good.
   */
  public Check current(String tokenId) {
    Optional<AdminTokenFile> file = read(tokenId);
    return file.isEmpty() ? new Check(null, Refusal.UNKNOWN, tokenId) : state(file.get());
  }

  private Check state(AdminTokenFile stored) {
    if (stored.revoked() != null) {
      return new Check(stored, Refusal.REVOKED, stored.tokenId());
    }
    if (!keystore.now().isBefore(stored.expires())) {
      return new Check(stored, Refusal.EXPIRED, stored.tokenId());
    }
    return new Check(stored, null, stored.tokenId());
  }
}
