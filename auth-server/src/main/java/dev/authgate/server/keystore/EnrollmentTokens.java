package dev.authgate.server.keystore;

import dev.authgate.protocol.crypto.Verifier;
import dev.authgate.protocol.keyfile.ClientIds;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.protocol.keyfile.KeyEntry;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.protocol.keyfile.TokenFile;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * A keystore's enrollment tokens ({@code KEYS/tokens}, verifiers only) and the enrollments they
 * allow: a machine names a token and sends its own verifier, and gets a client id (pending until
 * {@link #approve} when the token says so). Every change holds the keystore's lock, so a revocation
 * and an enrollment never undo each other.
 */
public final class EnrollmentTokens {
  private final KeystoreDirectory keystore;
  private final Path dir;

  EnrollmentTokens(KeystoreDirectory keystore) {
    this.keystore = keystore;
    this.dir = keystore.path();
  }

  /** Refuses a token id that is malformed or not in this keystore. */
  public void requireKnown(String tokenId) throws IOException {
    if (read(tokenId).isEmpty()) {
      throw new KeyFileException(tokenFile(tokenId), "no token " + tokenId + " in " + dir);
    }
  }

  /** {@code KEYS/tokens}: one {@code <token id>.token} per token, verifiers only. */
  public Path directory() {
    return dir.resolve("tokens");
  }

  private Path tokenFile(String tokenId) {
    if (!tokenId.matches("[0-9a-f]{16}")) {
      throw new IllegalArgumentException("a token id is 16 hex digits, e.g. 7f3a09c2b1d4e856");
    }
    return directory().resolve(tokenId + ".token");
  }

  /**
   * Makes a token: its secret goes to the caller (to print once), its verifier to {@code tokens/}.
   *
   * @param clientId the one id it enrolls as, or null
   * @param prefix the prefix of every id it enrolls, or null
   */
  public EnrollmentToken create(
      Duration lifetime, int uses, boolean approve, String clientId, String prefix)
      throws IOException {
    EnrollmentToken token = EnrollmentToken.generate(keystore.randomness);
    List<String> pins = keystore.hostKeyPins();
    if (!pins.isEmpty()) {
      token = token.withHostKey(pins.get(0)); // the key servers sign with now
    }
    return create(token, lifetime, uses, approve, clientId, prefix);
  }

  /** As above, for a token the caller made (to audit its id before it exists). */
  public EnrollmentToken create(
      EnrollmentToken token,
      Duration lifetime,
      int uses,
      boolean approve,
      String clientId,
      String prefix)
      throws IOException {
    if (uses < 1) {
      throw new IllegalArgumentException("--uses must be at least 1");
    }
    if (clientId != null) {
      ClientIds.requireValid(clientId, "client id");
    }
    KeyFiles.ensurePrivateDirectory(dir);
    return keystore.locked(
        () -> {
          if (clientId != null) {
            ClientIds.requireValid(clientId, "client id");
            keystore.requireNotRevoked(clientId, KeystoreDirectory.ADD_REVOKED);
            if (Files.exists(keystore.fileFor(clientId))) {
              throw keystore.alreadyExists(clientId, keystore.fileFor(clientId));
            }
          }
          if (prefix != null && !prefix.matches("[A-Za-z0-9_][A-Za-z0-9._-]{0,47}")) {
            throw new IllegalArgumentException(
                "--prefix must be the start of a client id: " + ClientIds.RULE + ", at most 48");
          }
          if (uses < 1) {
            throw new IllegalArgumentException("--uses must be at least 1");
          }
          KeyFiles.ensurePrivateDirectory(dir);
          KeyFiles.ensurePrivateDirectory(directory());
          Instant now = keystore.now();
          TokenFile file =
              new TokenFile(
                  token.tokenId(),
                  token.scramKeys().verifier(),
                  now,
                  now.plus(lifetime),
                  uses,
                  0,
                  approve,
                  clientId,
                  prefix,
                  null);
          KeyFiles.writePrivate(tokenFile(token.tokenId()), file.format(), false);
          return token;
        });
  }

  /** A token's file, if there is one (absent for an id that was never made). */
  public Optional<TokenFile> read(String tokenId) {
    Path file = tokenFile(tokenId);
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    try {
      keystore.ownership.checkFile(file);
      return Optional.of(TokenFile.parse(file, KeyFiles.readPrivate(file)));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Every token file, oldest first; unreadable ones are left out. */
  public List<TokenFile> list() throws IOException {
    List<TokenFile> tokens = new ArrayList<>();
    if (!Files.isDirectory(directory())) {
      return tokens;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory(), "*.token")) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        read(name.substring(0, name.length() - ".token".length())).ifPresent(tokens::add);
      }
    }
    tokens.sort(Comparator.comparing(TokenFile::created));
    return tokens;
  }

  /** Revokes a token: enrollments with it are refused from now on. */
  public TokenFile revoke(String tokenId) throws IOException {
    return keystore.locked(
        () -> {
          TokenFile token =
              read(tokenId)
                  .orElseThrow(
                      () ->
                          new KeyFileException(
                              tokenFile(tokenId), "no token " + tokenId + " in " + dir));
          TokenFile revoked = token.revoked() == null ? token.revokedAt(keystore.now()) : token;
          KeyFiles.writePrivate(tokenFile(tokenId), revoked.format(), true);
          if (read(tokenId).map(TokenFile::revoked).isEmpty()) {
            throw new KeyFileException(
                tokenFile(tokenId),
                "revoking token "
                    + tokenId
                    + " did not stick: "
                    + tokenFile(tokenId)
                    + " is not revoked");
          }
          return revoked;
        });
  }

  /**
   * Enrolls a machine with a token: checks the token is still usable, picks the id, writes the
   * client's file with the machine's verifier (pending if the token says so) and uses the token
   * once. Serialised: two machines racing with a single-use token get one enrollment.
   *
   * @param requestedId the id the machine asked for, or empty
   * @throws EnrollRefused if the token cannot be used or the id is not allowed or taken; nothing is
   *     written then, except that an id that is taken costs the token a use (so a token cannot
   *     probe which ids exist)
   */
  public Enrolled enroll(String tokenId, String requestedId, Verifier verifier)
      throws EnrollRefused, IOException {
    if (!Files.isDirectory(dir)) {
      throw new EnrollRefused("token-unknown", "the token is not known here");
    }
    return KeystoreLock.holding(dir, () -> enrollLocked(tokenId, requestedId, verifier));
  }

  private Enrolled enrollLocked(String tokenId, String requestedId, Verifier verifier)
      throws EnrollRefused, IOException {
    TokenFile token =
        read(tokenId)
            .orElseThrow(() -> new EnrollRefused("token-unknown", "the token is not known here"));
    String unusable = token.unusableReason(keystore.now());
    if (unusable != null) {
      throw new EnrollRefused(
          unusable,
          switch (unusable) {
            case "token-revoked" -> "the token was revoked";
            case "token-expired" -> "the token expired at " + token.expires();
            default -> "the token was already used " + token.used() + " time(s), its limit";
          });
    }
    String clientId = chooseId(token, requestedId);
    if (Files.exists(keystore.fileFor(clientId), LinkOption.NOFOLLOW_LINKS)) {
      // Asking costs a use, as enrolling would: otherwise one single-use token could probe, id
      // by id, which clients exist.
      KeyFiles.writePrivate(tokenFile(tokenId), token.usedOnce().format(), true);
      throw new EnrollRefused(
          "id-taken",
          "client '"
              + clientId
              + "' exists on the server; this attempt used the token once"
              + (token.clientId() == null ? "; ask for another id (--id)" : ""));
    }
    ClientKeys keys =
        new ClientKeys(clientId, List.of(new KeyEntry("k1", keystore.now(), null, null, verifier)));
    if (token.approve()) {
      keys = keys.pending(tokenId);
    }
    try {
      KeyFiles.writePrivate(keystore.fileFor(clientId), keys.format(), false);
    } catch (FileAlreadyExistsException e) {
      throw new EnrollRefused("id-taken", "client '" + clientId + "' exists on the server");
    }
    try {
      KeyFiles.writePrivate(tokenFile(tokenId), token.usedOnce().format(), true);
    } catch (IOException e) {
      Files.deleteIfExists(
          keystore.fileFor(clientId)); // a use that cannot be counted does not happen
      throw e;
    }
    return new Enrolled(clientId, "k1", token.approve(), verifier.fingerprint(), keys);
  }

  private String chooseId(TokenFile token, String requested) throws EnrollRefused {
    if (token.clientId() != null) {
      if (!requested.isEmpty() && !requested.equals(token.clientId())) {
        throw new EnrollRefused(
            "id-not-allowed", "this token enrolls only client '" + token.clientId() + "'");
      }
      return token.clientId();
    }
    if (requested.isEmpty()) {
      if (token.prefix() == null) {
        throw new EnrollRefused(
            "id-required", "this token needs the machine to name itself (--id)");
      }
      return token.prefix() + HexFormat.of().formatHex(keystore.randomness.bytes(4));
    }
    if (!ClientIds.isValid(requested)) {
      throw new EnrollRefused("id-not-allowed", "a client id must be " + ClientIds.RULE);
    }
    if (token.prefix() != null && !requested.startsWith(token.prefix())) {
      throw new EnrollRefused(
          "id-not-allowed", "this token enrolls only ids starting with '" + token.prefix() + "'");
    }
    return requested;
  }

  /** Refuses a client that does not exist or is not waiting for approval. */
  public ClientKeys requirePending(String clientId) throws IOException {
    return pendingKeys(clientId, keystore.existingClientFile(clientId));
  }

  private ClientKeys pendingKeys(String clientId, Path file) throws KeyFileException {
    ClientKeys keys = keystore.readFile(file);
    if (!keys.isPending()) {
      throw new KeyFileException(file, "client '" + clientId + "' is not waiting for approval");
    }
    return keys;
  }

  /** Lets a pending client in. */
  public void approve(String clientId) throws IOException {
    keystore.locked(
        () -> {
          Path file = keystore.existingClientFile(clientId);
          ClientKeys keys = pendingKeys(clientId, file);
          KeyFiles.writePrivate(file, keys.pending(null).format(), true);
          return null;
        });
  }

  /** Refuses a pending client for good: its keys are revoked (only reinstate lets the id in). */
  public void deny(String clientId) throws IOException {
    keystore.locked(
        () -> {
          Path file = keystore.existingClientFile(clientId);
          ClientKeys keys = pendingKeys(clientId, file);
          // One write: a reload between "not pending" and "revoked" must never see an active
          // client.
          Instant when = keystore.now();
          ClientKeys denied = keys.pending(null);
          for (KeyEntry key : keys.keys()) {
            if (key.revoked() == null) {
              denied = denied.with(key.revokedAt(when));
            }
          }
          KeyFiles.writePrivate(file, denied.format(), true);
          return null;
        });
  }
}
