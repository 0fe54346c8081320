package dev.authgate.server.keystore;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.keyfile.ClientIds;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyEntry;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.KeyFiles;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
  final RandomSource randomness;
  final FileOwnership ownership;
  private final EnrollmentTokens tokens;
  private final AdminTokens adminTokens;
  private final KeyRotations rotations;
  private final SelfRotations selfRotations;
  private final ClientSettings settings;

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
    this.tokens = new EnrollmentTokens(this);
    this.adminTokens = new AdminTokens(this);
    this.rotations = new KeyRotations(this);
    this.selfRotations = new SelfRotations(this);
    this.settings = new ClientSettings(this);
  }

  /** Keys clients rotate themselves, and the locks that give a copied credential away. */
  public SelfRotations selfRotations() {
    return selfRotations;
  }

  /** What each client may do, and how often it rotates its own key. */
  public ClientSettings settings() {
    return settings;
  }

  /** Rotations and reinstatements of this keystore's clients. */
  public KeyRotations rotations() {
    return rotations;
  }

  /** The directory. */
  public Path path() {
    return dir;
  }

  /** This keystore's enrollment tokens, and the enrollments they allow. */
  public EnrollmentTokens enrollmentTokens() {
    return tokens;
  }

  /** This keystore's admin API tokens. */
  public AdminTokens adminTokens() {
    return adminTokens;
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

  ClientKeys readFile(Path file) throws KeyFileException {
    ClientKeys keys = ClientKeys.parse(file, KeyFiles.readPrivate(file));
    String expected = ClientKeys.fileName(keys.clientId());
    if (!file.getFileName().toString().equals(expected)) {
      throw new KeyFileException(
          file, file + " holds client '" + keys.clientId() + "' but should be named " + expected);
    }
    return keys;
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
      throw new KeyFileException(
          dir, "keystore directory " + dir + " " + FileOwnership.notYours(dir));
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
    checkAccess(); // someone else's keystore: say so before "exists?" gets a wrong answer
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

  KeyFileException alreadyExists(String clientId, Path file) {
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

  /** Whether every key of a client is revoked: its id stays refused until reinstated on purpose. */
  static boolean isRevoked(ClientKeys keys) {
    return !keys.keys().isEmpty() && keys.keys().stream().allMatch(k -> k.revoked() != null);
  }

  KeyFileException revokedId(String clientId, Path file, String what) {
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
  Path existingClientFile(String clientId) throws IOException {
    ClientIds.requireValid(clientId, "client id");
    requireUsableDirectory();
    Path file = fileFor(clientId);
    if (!Files.exists(file)) {
      throw new KeyFileException(file, "no client '" + clientId + "' in " + dir);
    }
    return file;
  }

  /**
   * The host key fingerprints a credential made now pins: the host key and the next key of a
   * rotation under way (or what {@code KEYS/host.pub} names, for keys that are systemd
   * credentials); none if this keystore has no host key yet (the {@code keys} commands make it
   * first).
   */
  public List<String> hostKeyPins() throws IOException {
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
      throw new KeyFileException(
          dir, "keystore directory " + dir + " " + FileOwnership.notYours(dir));
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
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      throw isRevoked(readFile(file))
          ? revokedId(clientId, file, ADD_REVOKED)
          : alreadyExists(clientId, file);
    }
  }

  /**
   * What tells a client's file apart from the last time it was read (inode, size, change time; a
   * change replaces the file, so a new inode), without following a link; null if it cannot be read.
   */
  public Object clientFileStamp(String clientId) {
    try {
      return Files.readAttributes(
          fileFor(ClientIds.requireValid(clientId, "client id")),
          "unix:ino,size,lastModifiedTime,ctime",
          LinkOption.NOFOLLOW_LINKS);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** A client's file as it is now (checked and parsed as a reload would). */
  public ClientKeys client(String clientId) throws IOException {
    Path file = existingClientFile(clientId);
    ownership.checkFile(file);
    return readFile(file);
  }

  /** Refuses a client that does not exist. */
  public void requireClient(String clientId) throws IOException {
    existingClientFile(clientId);
  }

  /**
   * Runs a change holding the keystore's lock (shared with every process that changes this
   * directory), so no read-modify-write of a file undoes another's. Without a directory there is
   * nothing to lock yet, and the change fails on its own ("does not exist").
   */
  <T> T locked(KeystoreLock.Locked<T> change) throws IOException {
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

  Path fileFor(String clientId) {
    Path file = dir.resolve(ClientKeys.fileName(clientId));
    if (!dir.equals(file.getParent())) {
      throw new IllegalArgumentException("client id does not map into the keystore directory");
    }
    return file;
  }

  Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.SECONDS);
  }

  Instant nowToTheMillisecond() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }
}
