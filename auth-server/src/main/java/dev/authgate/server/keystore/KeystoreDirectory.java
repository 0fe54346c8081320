package dev.authgate.server.keystore;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.crypto.Verifier;
import dev.authgate.protocol.keyfile.ClientIds;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.protocol.keyfile.KeyEntry;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.protocol.keyfile.TokenFile;
import dev.authgate.protocol.text.IoErrors;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A keystore directory on disk: {@code <client-id>.keys} files of verifiers, mode 0600, in a
 * directory of mode 0700. Reading produces {@link KeystoreSnapshot}s; provisioning writes files
 * atomically.
 *
 * <p>Thread-safe in the sense that every operation works on the file system directly; two operators
 * provisioning the same client id at once get one success and one "already exists".
 */
public final class KeystoreDirectory {
  private static final String SUFFIX = ".keys";

  private final Path dir;
  private final Clock clock;
  private final RandomSource randomness;
  private final FileOwnership ownership;

  /**
   * @param dir the directory; need not exist until written to
   * @param clock the time recorded as "created" and "revoked"
   * @param randomness where new secrets come from
   */
  public KeystoreDirectory(Path dir, Clock clock, RandomSource randomness) {
    this.dir = dir;
    this.clock = clock;
    this.randomness = randomness;
    this.ownership = FileOwnership.ofThisProcess();
  }

  /** The directory. */
  public Path path() {
    return dir;
  }

  /**
   * Reads every verifier file. A file that is corrupt, too open, unreadable, a symbolic link or
   * someone else's is skipped and listed; so are clients whose files hold the same verifier (a
   * copied or edited file would let one id log in as the other). Every other client loads.
   *
   * @throws KeyFileException if the directory itself is missing, unreadable, a symbolic link,
   *     someone else's or open to group or others
   */
  public KeystoreSnapshot load() throws KeyFileException {
    requireUsableDirectory();
    Map<String, ClientKeys> clients = new HashMap<>();
    List<KeystoreSnapshot.Skipped> skipped = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path file : files) {
        if (file.getFileName().toString().startsWith(KeyFiles.TEMP_PREFIX)) {
          continue;
        }
        try {
          ownership.checkFile(file);
          ClientKeys keys = readFile(file);
          clients.put(keys.clientId(), keys);
        } catch (KeyFileException e) {
          skipped.add(new KeystoreSnapshot.Skipped(file, e.getMessage()));
        }
      }
    } catch (IOException e) {
      throw new KeyFileException(dir, "cannot list keystore directory " + dir + ": " + e, e);
    }
    DuplicateVerifiers.refuse(clients, this::fileFor, skipped);
    return new KeystoreSnapshot(clients, skipped);
  }

  private ClientKeys readFile(Path file) throws KeyFileException {
    ClientKeys keys = ClientKeys.parse(file, KeyFiles.readPrivate(file));
    String expected = ClientKeys.fileName(keys.clientId());
    if (!file.getFileName().toString().equals(expected)) {
      throw new KeyFileException(
          file, file + " holds client '" + keys.clientId() + "' but should be named " + expected);
    }
    return keys;
  }

  /**
   * "is not readable by nobody (owned by root, mode 0700); run this as root, e.g. sudo -u root …":
   * the usual cause is an operator running {@code keys} as themselves against the service's
   * keystore.
   */
  static String notYours(Path path) {
    String owner = IoErrors.ownerAndMode(path);
    String who = IoErrors.user();
    if (owner.isEmpty()) {
      return "is not readable by " + who + "; run this command as the keystore's owner";
    }
    String ownerName = owner.substring("owned by ".length(), owner.indexOf(','));
    return "is not readable by "
        + who
        + " ("
        + owner
        + "); run this command as "
        + ownerName
        + ", e.g. sudo -u "
        + ownerName
        + " auth-server …";
  }

  private void requireUsableDirectory() throws KeyFileException {
    if (!Files.isDirectory(dir)) {
      throw new KeyFileException(
          dir,
          "keystore directory "
              + dir
              + " does not exist; create it by provisioning a client: auth-server keys add ID --keys "
              + dir);
    }
    if (!Files.isReadable(dir) || !Files.isExecutable(dir)) {
      throw new KeyFileException(dir, "keystore directory " + dir + " " + notYours(dir));
    }
    ownership.checkDirectory(dir);
  }

  /**
   * Provisions a new client with one key "k1": writes its verifier file and returns the credential
   * (with the secret) for the caller to deliver. The secret is never written to the keystore.
   *
   * @throws IllegalArgumentException if the id is invalid
   * @throws KeyFileException if the client exists already or the file cannot be written
   */
  public Credential add(String clientId) throws IOException {
    ClientIds.requireValid(clientId, "client id");
    Path file = fileFor(clientId);
    if (Files.isDirectory(dir) && !(Files.isReadable(dir) && Files.isExecutable(dir))) {
      // Someone else's keystore: say so before "exists?" gets a wrong answer.
      throw new KeyFileException(dir, "keystore directory " + dir + " " + notYours(dir));
    }
    KeyFiles.ensurePrivateDirectory(dir);
    return locked(
        () -> {
          if (Files.exists(file)) {
            throw isRevoked(readFile(file))
                ? revokedId(clientId, file, ADD_REVOKED)
                : alreadyExists(clientId, file);
          }
          byte[] secret = randomness.bytes(32);
          Credential credential = new Credential(clientId, "k1", secret, hostKeyPins());
          ScramKeys keys = ScramKeys.fromSaltedPassword(secret);
          KeyEntry entry = new KeyEntry("k1", now(), null, null, keys.verifier());
          try {
            KeyFiles.writePrivate(file, new ClientKeys(clientId, List.of(entry)).format(), false);
          } catch (FileAlreadyExistsException e) {
            throw alreadyExists(clientId, file);
          } catch (AccessDeniedException e) {
            throw new KeyFileException(file, "cannot write " + file + ": permission denied", e);
          }
          return credential;
        });
  }

  private KeyFileException alreadyExists(String clientId, Path file) {
    return new KeyFileException(
        file,
        "client '"
            + clientId
            + "' already exists in "
            + dir
            + "; give it a new key with 'keys rotate "
            + clientId
            + "', or choose another id");
  }

  /** Why {@code add} refuses a revoked id. */
  public static final String ADD_REVOKED = "it cannot be added again";

  /** Why {@code rotate} refuses a revoked id. */
  public static final String ROTATE_REVOKED = "rotating would let it in again";

  /** Whether every key of a client is revoked: its id stays refused until reinstated on purpose. */
  private static boolean isRevoked(ClientKeys keys) {
    return !keys.keys().isEmpty() && keys.keys().stream().allMatch(k -> k.revoked() != null);
  }

  private KeyFileException revokedId(String clientId, Path file, String what) {
    return new KeyFileException(
        file,
        "client '"
            + clientId
            + "' is revoked, so "
            + what
            + "; to let this id in again on purpose, run: auth-server keys reinstate "
            + clientId
            + " (audited)");
  }

  /**
   * Revokes every key of a client: new connections with them are refused with reason revoked-key.
   * The file stays, so the audit can tell a revoked key from an unknown client.
   *
   * @return the number of keys newly revoked
   * @throws KeyFileException if the client does not exist or the file cannot be rewritten
   */
  public int revoke(String clientId) throws IOException {
    return locked(
        () -> {
          Path file = existingClientFile(clientId);
          ClientKeys keys = readFile(file);
          Instant when = now();
          int revoked = 0;
          ClientKeys updated = keys;
          for (KeyEntry key : keys.keys()) {
            if (key.revoked() == null) {
              updated = updated.with(key.revokedAt(when));
              revoked++;
            }
          }
          KeyFiles.writePrivate(file, updated.format(), true);
          if (!isRevoked(readFile(file))) {
            throw new KeyFileException(
                file,
                "revoking '" + clientId + "' did not stick: " + file + " still has an active key");
          }
          return revoked;
        });
  }

  /**
   * Changes what a client may do: {@code change} gets its permissions now and returns the new ones,
   * which replace them atomically (a running server applies them within its reload interval).
   *
   * @return the permissions before and after
   * @throws KeyFileException if the client does not exist or the file cannot be rewritten
   */
  public Permissions[] setPermissions(
      String clientId, java.util.function.UnaryOperator<Permissions> change) throws IOException {
    return locked(
        () -> {
          Path file = existingClientFile(clientId);
          ClientKeys keys = readFile(file);
          Permissions updated = change.apply(keys.permissions());
          KeyFiles.writePrivate(file, keys.with(updated).format(), true);
          return new Permissions[] {keys.permissions(), updated};
        });
  }

  /**
   * Rotates a client's key: adds a new key with a fresh secret and lets every other active key work
   * only until {@code grace} from now (then it is refused as expired-key).
   *
   * @return the new key's credential, for the caller to deliver
   * @throws KeyFileException if the client does not exist or the file cannot be rewritten
   */
  public Rotation rotate(String clientId, Duration grace) throws IOException {
    return locked(
        () -> {
          Path file = existingClientFile(clientId);
          String previousText = KeyFiles.readPrivate(file);
          ClientKeys keys = readFile(file);
          if (isRevoked(keys)) {
            throw revokedId(clientId, file, ROTATE_REVOKED);
          }
          Instant now = now();
          Instant until = now.plus(grace);
          ClientKeys updated = keys;
          for (KeyEntry key : keys.keys()) {
            boolean active =
                key.revoked() == null && (key.expires() == null || key.expires().isAfter(now));
            if (active && (key.expires() == null || key.expires().isAfter(until))) {
              updated =
                  updated.with(
                      new KeyEntry(key.keyId(), key.created(), null, until, key.verifier()));
            }
          }
          return withNewKey(
              file, clientId, updated, now, until, previousText, randomness.bytes(32));
        });
  }

  /**
   * Gives a revoked client a new key: the only way a revoked id is let in again. Its revoked keys
   * stay in the file (the audit can still tell them apart); the new key gets the next key id.
   *
   * @return the new key's credential, for the caller to deliver ({@code oldKeysUntil} is now)
   * @throws KeyFileException if the client does not exist, is not revoked (use {@link #rotate}), or
   *     the file cannot be rewritten
   */
  public Rotation reinstate(String clientId) throws IOException {
    return reinstate(clientId, randomness.bytes(32));
  }

  /** As {@link #reinstate(String)}, with the new key's secret made by the caller. */
  public Rotation reinstate(String clientId, byte[] secret) throws IOException {
    return locked(
        () -> {
          Path file = existingClientFile(clientId);
          String previousText = KeyFiles.readPrivate(file);
          ClientKeys keys = readFile(file);
          if (!isRevoked(keys)) {
            throw new KeyFileException(
                file,
                "client '"
                    + clientId
                    + "' is not revoked; give it a new key with 'keys rotate "
                    + clientId
                    + "'");
          }
          Instant now = now();
          return withNewKey(file, clientId, keys, now, now, previousText, secret);
        });
  }

  /**
   * Refuses a revoked id before anything else is checked or written, so an operator who runs {@code
   * add} or {@code rotate} on it learns that first (and that {@code reinstate} is the way).
   *
   * @param doing what the refused command would do, for the message
   */
  public void requireNotRevoked(String clientId, String doing) throws IOException {
    ClientIds.requireValid(clientId, "client id");
    Path file = fileFor(clientId);
    if (Files.exists(file) && isRevoked(readFile(file))) {
      throw revokedId(clientId, file, doing);
    }
  }

  /** The file of a client that must exist, after checking the id and the directory. */
  private Path existingClientFile(String clientId) throws IOException {
    ClientIds.requireValid(clientId, "client id");
    requireUsableDirectory();
    Path file = fileFor(clientId);
    if (!Files.exists(file)) {
      throw new KeyFileException(file, "no client '" + clientId + "' in " + dir);
    }
    return file;
  }

  /** Adds the next key with a fresh secret to {@code keys} and writes the file. */
  private Rotation withNewKey(
      Path file,
      String clientId,
      ClientKeys keys,
      Instant now,
      Instant oldUntil,
      String previous,
      byte[] secret)
      throws IOException {
    String keyId = nextKeyId(keys);
    ClientKeys updated =
        keys.with(
            new KeyEntry(keyId, now, null, null, ScramKeys.fromSaltedPassword(secret).verifier()));
    KeyFiles.writePrivate(file, updated.format(), true);
    return new Rotation(new Credential(clientId, keyId, secret, hostKeyPins()), oldUntil, previous);
  }

  /**
   * The host key fingerprints a credential made now pins: the host key and the next key of a
   * rotation under way (or what {@code KEYS/host.pub} names, for keys that are systemd
   * credentials); none if this keystore has no host key yet (the {@code keys} commands make it
   * first).
   */
  public java.util.List<String> hostKeyPins() throws IOException {
    return new HostKeys(dir, System.getenv(), clock, randomness).pins();
  }

  /** Work done under the keystore's lock by a caller (a command auditing its change first). */
  @FunctionalInterface
  public interface Change<T> {
    T apply() throws IOException;
  }

  /**
   * Runs {@code work} holding the keystore's lock, shared with every process that changes this
   * directory; the changes made inside (on this thread) take the same lock again, so what {@code
   * work} reads before changing stays true until it has changed it.
   */
  public <T> T whileLocked(Change<T> work) throws IOException {
    return locked(work::apply);
  }

  /**
   * Refuses a keystore directory this process cannot use (someone else's, e.g. an operator running
   * {@code keys} as themselves against the service's keystore), naming who can; a missing one is
   * fine (a first change makes it).
   */
  public void checkAccess() throws KeyFileException {
    if (Files.isDirectory(dir) && !(Files.isReadable(dir) && Files.isExecutable(dir))) {
      throw new KeyFileException(dir, "keystore directory " + dir + " " + notYours(dir));
    }
  }

  /** Creates the directory (mode 0700) if missing, so a first change can lock it. */
  public void prepare() throws IOException {
    KeyFiles.ensurePrivateDirectory(dir);
  }

  /**
   * Refuses an id that is invalid or exists already (for {@code add}, before anything is written).
   */
  public void requireNew(String clientId) throws IOException {
    ClientIds.requireValid(clientId, "client id");
    Path file = fileFor(clientId);
    if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw isRevoked(readFile(file))
          ? revokedId(clientId, file, ADD_REVOKED)
          : alreadyExists(clientId, file);
    }
  }

  /** Refuses a client that does not exist. */
  public void requireClient(String clientId) throws IOException {
    existingClientFile(clientId);
  }

  /** Refuses a client that does not exist or is not waiting for approval. */
  public ClientKeys requirePending(String clientId) throws IOException {
    return pendingKeys(clientId, existingClientFile(clientId));
  }

  private ClientKeys pendingKeys(String clientId, Path file) throws KeyFileException {
    ClientKeys keys = readFile(file);
    if (!keys.isPending()) {
      throw new KeyFileException(file, "client '" + clientId + "' is not waiting for approval");
    }
    return keys;
  }

  /** Refuses a token id that is malformed or not in this keystore. */
  public void requireToken(String tokenId) throws IOException {
    if (readToken(tokenId).isEmpty()) {
      throw new KeyFileException(tokenFile(tokenId), "no token " + tokenId + " in " + dir);
    }
  }

  /** The key id the next rotation or reinstatement of a client gets. */
  public String nextKeyIdOf(String clientId) throws IOException {
    return nextKeyId(readFile(existingClientFile(clientId)));
  }

  /** A client's permissions now. */
  public Permissions permissionsOf(String clientId) throws IOException {
    return readFile(existingClientFile(clientId)).permissions();
  }

  /**
   * Runs a change holding the keystore's lock (shared with every process that changes this
   * directory), so no read-modify-write of a file undoes another's. Without a directory there is
   * nothing to lock yet, and the change fails on its own ("does not exist").
   */
  private <T> T locked(KeystoreLock.Locked<T> change) throws IOException {
    if (!Files.isDirectory(dir)) {
      try {
        return change.run();
      } catch (EnrollRefused e) {
        throw new IllegalStateException(e);
      }
    }
    try {
      return KeystoreLock.holding(dir, change);
    } catch (EnrollRefused e) {
      throw new IllegalStateException("only enroll refuses an enrollment", e);
    }
  }

  // ---- enrollment tokens -------------------------------------------------------------------

  /** {@code KEYS/tokens}: one {@code <token id>.token} per token, verifiers only. */
  public Path tokensDir() {
    return dir.resolve("tokens");
  }

  private Path tokenFile(String tokenId) {
    if (!tokenId.matches("[0-9a-f]{16}")) {
      throw new IllegalArgumentException("a token id is 16 hex digits, e.g. 7f3a09c2b1d4e856");
    }
    return tokensDir().resolve(tokenId + ".token");
  }

  /**
   * Makes a token: its secret goes to the caller (to print once), its verifier to {@code tokens/}.
   *
   * @param clientId the one id it enrolls as, or null
   * @param prefix the prefix of every id it enrolls, or null
   */
  public EnrollmentToken createToken(
      Duration lifetime, int uses, boolean approve, String clientId, String prefix)
      throws IOException {
    EnrollmentToken token = EnrollmentToken.generate(randomness);
    java.util.List<String> pins = hostKeyPins();
    if (!pins.isEmpty()) {
      token = token.withHostKey(pins.get(0)); // the key servers sign with now
    }
    return createToken(token, lifetime, uses, approve, clientId, prefix);
  }

  /** As above, for a token the caller made (to audit its id before it exists). */
  public EnrollmentToken createToken(
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
    return locked(
        () -> {
          if (clientId != null) {
            ClientIds.requireValid(clientId, "client id");
            requireNotRevoked(clientId, ADD_REVOKED);
            if (Files.exists(fileFor(clientId))) {
              throw alreadyExists(clientId, fileFor(clientId));
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
          KeyFiles.ensurePrivateDirectory(tokensDir());
          Instant now = now();
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
  public Optional<TokenFile> readToken(String tokenId) {
    Path file = tokenFile(tokenId);
    if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    try {
      ownership.checkFile(file);
      return Optional.of(TokenFile.parse(file, KeyFiles.readPrivate(file)));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Every token file, oldest first; unreadable ones are left out. */
  public List<TokenFile> tokens() throws IOException {
    List<TokenFile> tokens = new ArrayList<>();
    if (!Files.isDirectory(tokensDir())) {
      return tokens;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(tokensDir(), "*.token")) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        readToken(name.substring(0, name.length() - ".token".length())).ifPresent(tokens::add);
      }
    }
    tokens.sort(java.util.Comparator.comparing(TokenFile::created));
    return tokens;
  }

  /** Revokes a token: enrollments with it are refused from now on. */
  public TokenFile revokeToken(String tokenId) throws IOException {
    return locked(
        () -> {
          TokenFile token =
              readToken(tokenId)
                  .orElseThrow(
                      () ->
                          new KeyFileException(
                              tokenFile(tokenId), "no token " + tokenId + " in " + dir));
          TokenFile revoked = token.revoked() == null ? token.revokedAt(now()) : token;
          KeyFiles.writePrivate(tokenFile(tokenId), revoked.format(), true);
          if (readToken(tokenId).map(TokenFile::revoked).isEmpty()) {
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

  /** Why an enrollment was refused: a stable reason and a sentence for the machine. */
  public static final class EnrollRefused extends Exception {
    private static final long serialVersionUID = 1L;
    private final String reason;

    public EnrollRefused(String reason, String message) {
      super(message);
      this.reason = reason;
    }

    /** The stable reason, e.g. {@code token-used}. */
    public String reason() {
      return reason;
    }
  }

  /**
   * The result of an enrollment.
   *
   * @param clientId the id the machine got
   * @param keyId its key id
   * @param pending whether it waits for {@code keys approve}
   * @param fingerprint its key's fingerprint
   * @param keys what was written to its file
   */
  public record Enrolled(
      String clientId, String keyId, boolean pending, String fingerprint, ClientKeys keys) {}

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
        readToken(tokenId)
            .orElseThrow(() -> new EnrollRefused("token-unknown", "the token is not known here"));
    String unusable = token.unusableReason(now());
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
    if (Files.exists(fileFor(clientId), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
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
        new ClientKeys(clientId, List.of(new KeyEntry("k1", now(), null, null, verifier)));
    if (token.approve()) {
      keys = keys.pending(tokenId);
    }
    try {
      KeyFiles.writePrivate(fileFor(clientId), keys.format(), false);
    } catch (FileAlreadyExistsException e) {
      throw new EnrollRefused("id-taken", "client '" + clientId + "' exists on the server");
    }
    try {
      KeyFiles.writePrivate(tokenFile(tokenId), token.usedOnce().format(), true);
    } catch (IOException e) {
      Files.deleteIfExists(fileFor(clientId)); // a use that cannot be counted does not happen
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
      return token.prefix() + java.util.HexFormat.of().formatHex(randomness.bytes(4));
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

  /** Lets a pending client in. */
  public void approve(String clientId) throws IOException {
    locked(
        () -> {
          Path file = existingClientFile(clientId);
          ClientKeys keys = pendingKeys(clientId, file);
          KeyFiles.writePrivate(file, keys.pending(null).format(), true);
          return null;
        });
  }

  /** Refuses a pending client for good: its keys are revoked (only reinstate lets the id in). */
  public void deny(String clientId) throws IOException {
    locked(
        () -> {
          Path file = existingClientFile(clientId);
          ClientKeys keys = pendingKeys(clientId, file);
          // One write: a reload between "not pending" and "revoked" must never see an active
          // client.
          Instant when = now();
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

  /** Puts a client's file back as it was before a rotation whose credential could not be saved. */
  public void undo(String clientId, Rotation rotation) throws IOException {
    locked(
        () -> {
          KeyFiles.writePrivate(fileFor(clientId), rotation.previousFile(), true);
          return null;
        });
  }

  private static String nextKeyId(ClientKeys keys) {
    int highest = 0;
    for (KeyEntry key : keys.keys()) {
      if (key.keyId().matches("k\\d{1,9}")) {
        highest = Math.max(highest, Integer.parseInt(key.keyId().substring(1)));
      }
    }
    String id = "k" + (highest + 1);
    while (keys.key(id).isPresent()) {
      id = id + "x";
    }
    return id;
  }

  /**
   * The result of a rotation.
   *
   * @param credential the new key's credential
   * @param oldKeysUntil when the previous keys stop working
   * @param previousFile the verifier file as it was, for {@link #undo}
   */
  public record Rotation(Credential credential, Instant oldKeysUntil, String previousFile) {
    @Override
    public String toString() {
      return "Rotation[" + credential + ", old keys until " + oldKeysUntil + "]";
    }
  }

  private Path fileFor(String clientId) {
    Path file = dir.resolve(ClientKeys.fileName(clientId));
    if (!dir.equals(file.getParent())) {
      throw new IllegalArgumentException("client id does not map into the keystore directory");
    }
    return file;
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.SECONDS);
  }
}
