package dev.authgate.server.keystore;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.identity.HostKey;
import dev.authgate.protocol.identity.HostKeySet;
import dev.authgate.protocol.identity.HostPublicKey;
import dev.authgate.protocol.keyfile.HostKeyFile;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.KeyFiles;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;

/**
 * Where a server's host key comes from: a systemd credential ({@code LoadCredentialEncrypted=
 * authgate-host-key:…}, read from {@code $CREDENTIALS_DIRECTORY}, so the key never sits on disk in
 * clear), else {@code KEYS/host.key}, which is made — once, never overwritten — by the first {@code
 * keys init}, {@code keys add} or {@code serve} that finds none. The file is checked like every key
 * file: a regular file, not a link, the server's user's (or root's), mode 0600. Stateless and
 * thread-safe.
 */
public final class HostKeys {
  /** The credential's name under {@code $CREDENTIALS_DIRECTORY}. */
  public static final String CREDENTIAL_NAME = "authgate-host-key";

  /** The next key's credential name, while a rotation is under way. */
  public static final String NEXT_CREDENTIAL_NAME = "authgate-host-key-next";

  /**
   * {@code KEYS/host.pub}: the fingerprints a server whose keys are systemd credentials signs with
   * and announces, written by {@code serve} so that {@code keys} commands run from a shell (without
   * the credentials) pin them, and refuse to make a host key of their own.
   */
  public static final String PUBLIC_FILE_NAME = "host.pub";

  private static final String PUBLIC_MAGIC = "authgate-host-public 1";

  private final Path keysDir;
  private final Map<String, String> environment;
  private final Clock clock;
  private final RandomSource randomness;
  private final FileOwnership ownership = FileOwnership.ofThisProcess();

  /**
   * @param keysDir the keystore directory
   * @param environment where {@code CREDENTIALS_DIRECTORY} is looked up (the process's, in use)
   */
  public HostKeys(
      Path keysDir, Map<String, String> environment, Clock clock, RandomSource randomness) {
    this.keysDir = keysDir;
    this.environment = environment;
    this.clock = clock;
    this.randomness = randomness;
  }

  /** Where the host key is read from now: the systemd credential if there is one, else the file. */
  public Path location() {
    return credential().orElse(keysDir.resolve(HostKeyFile.FILE_NAME));
  }

  private Optional<Path> credential() {
    return credential(CREDENTIAL_NAME);
  }

  private Optional<Path> credential(String name) {
    String dir = environment.get("CREDENTIALS_DIRECTORY");
    if (dir == null || dir.isBlank()) {
      return Optional.empty();
    }
    Path file = Path.of(dir).resolve(name);
    return Files.exists(file) ? Optional.of(file) : Optional.empty();
  }

  /** Whether the keys come from systemd credentials (then rotation is done where they are made). */
  public boolean fromCredentials() {
    return credential().isPresent();
  }

  /** Where the next key of a rotation is read from now. */
  public Path nextLocation() {
    return credential().isPresent()
        ? credential(NEXT_CREDENTIAL_NAME)
            .orElse(Path.of(environment.get("CREDENTIALS_DIRECTORY"), NEXT_CREDENTIAL_NAME))
        : keysDir.resolve(HostKeyFile.NEXT_FILE_NAME);
  }

  /**
   * Everything a server signs and announces with: the host key, the next key of a rotation under
   * way (if any) and the retired fingerprints the host key file lists.
   *
   * @throws KeyFileException if the host key is missing or a file cannot be used
   */
  public HostKeySet loadSet() throws IOException {
    Loaded current = load();
    Optional<HostKeyFile> next = loadNext();
    java.util.List<HostPublicKey> announced =
        next.map(HostKeyFile::key)
            .filter(k -> !k.equals(current.file().key())) // a retire cut short by a crash
            .map(k -> java.util.List.of(k.publicKey()))
            .orElse(java.util.List.of());
    // A retired key is never the one that signs or the next one (a rollback by hand).
    java.util.List<String> keep = new java.util.ArrayList<>();
    keep.add(current.fingerprint());
    announced.forEach(k -> keep.add(k.fingerprint()));
    java.util.List<String> retired =
        current.file().retired().stream().filter(r -> !keep.contains(r)).distinct().toList();
    return new HostKeySet(current.file().key(), announced, retired);
  }

  /**
   * The fingerprints {@code KEYS/host.pub} names (the signing key first), if there is one.
   *
   * @throws KeyFileException if it exists but is not such a file
   */
  public Optional<java.util.List<String>> loadPublic() throws IOException {
    Path file = keysDir.resolve(PUBLIC_FILE_NAME);
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    ownership.checkFile(file);
    java.util.List<String> lines =
        KeyFiles.readPrivate(file).lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
    java.util.List<String> pins = new java.util.ArrayList<>();
    for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
      String[] parts = line.strip().split(" ");
      if (parts.length != 2
          || !(parts[0].equals("host-key") || parts[0].equals("next-key"))
          || !HostPublicKey.isFingerprint(parts[1])
          || (parts[0].equals("host-key") != pins.isEmpty())) {
        pins.clear();
        break;
      }
      pins.add(parts[1]);
    }
    if (lines.isEmpty() || !lines.get(0).strip().equals(PUBLIC_MAGIC) || pins.isEmpty()) {
      throw new KeyFileException(
          file,
          file
              + " is not a host public key file (written by serve): '"
              + PUBLIC_MAGIC
              + "', one host-key line, then next-key lines");
    }
    return Optional.of(java.util.List.copyOf(pins));
  }

  /**
   * Writes {@code KEYS/host.pub} for {@code keys} (if what it names changed): what a server whose
   * keys are systemd credentials signs with and announces.
   */
  public void writePublic(HostKeySet keys) throws IOException {
    StringBuilder text =
        new StringBuilder(
            "# authgate: the host keys this server's systemd credentials hold, written by serve"
                + " for the keys commands to pin. No secret.\n"
                + PUBLIC_MAGIC
                + "\nhost-key "
                + keys.signing().publicKey().fingerprint()
                + "\n");
    keys.next().forEach(k -> text.append("next-key ").append(k.fingerprint()).append('\n'));
    Optional<java.util.List<String>> now;
    try {
      now = loadPublic();
    } catch (KeyFileException e) {
      now = Optional.empty();
    }
    if (now.isPresent() && now.get().equals(keys.pins())) {
      return;
    }
    KeyFiles.writePrivate(keysDir.resolve(PUBLIC_FILE_NAME), text.toString(), true);
  }

  /**
   * The fingerprints a credential or token made now pins (the signing key first): from the host key
   * files, else from {@code KEYS/host.pub}; empty if there is neither.
   */
  public java.util.List<String> pins() throws IOException {
    if (credential().isPresent()
        || Files.exists(keysDir.resolve(HostKeyFile.FILE_NAME), LinkOption.NOFOLLOW_LINKS)) {
      return loadSet().pins();
    }
    return loadPublic().orElse(java.util.List.of());
  }

  /** The next key of a rotation under way, if there is one. */
  public Optional<HostKeyFile> loadNext() throws IOException {
    Path where = nextLocation();
    if (!Files.exists(where, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    return Optional.of(read(where, credential().isEmpty()));
  }

  /**
   * Starts a rotation: makes the next key ({@code KEYS/host-next.key}), which servers announce to
   * every verified client from their next keystore look on. The caller holds the keystore lock.
   *
   * @throws IllegalStateException if a rotation is already under way or the keys are systemd
   *     credentials
   */
  public HostKeyFile rotate() throws IOException {
    requireFiles("rotate");
    load(); // there is a key to rotate from
    Path next = nextLocation();
    if (Files.exists(next, LinkOption.NOFOLLOW_LINKS)) {
      throw new IllegalStateException(
          "a rotation is already under way ("
              + next
              + "): retire the old key first with 'auth-server keys host-key retire'");
    }
    HostKeyFile made =
        new HostKeyFile(
            HostKey.generate(randomness), clock.instant().truncatedTo(ChronoUnit.SECONDS));
    KeyFiles.writePrivate(next, made.format(), false);
    return made;
  }

  /**
   * Ends a rotation: the next key becomes the host key (written over {@code KEYS/host.key} in one
   * rename) and the old one is listed as retired, so verified clients drop it; then the next key's
   * file goes. A crash between the two leaves a next key equal to the host key, which servers
   * ignore and the next retire removes. The caller holds the keystore lock.
   *
   * @return the key that was retired and the new host key
   * @throws IllegalStateException if no rotation is under way
   */
  public Retired retire() throws IOException {
    requireFiles("retire");
    Loaded current = load();
    Path nextFile = nextLocation();
    HostKeyFile next =
        loadNext()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "no rotation is under way: start one with 'auth-server keys host-key"
                            + " rotate', let machines connect during the overlap, then retire"));
    if (next.key().equals(current.file().key())) {
      Files.delete(nextFile); // a retire cut short after the rename
      return new Retired(null, current.file());
    }
    String old = current.file().key().publicKey().fingerprint();
    java.util.List<String> retired = new java.util.ArrayList<>(current.file().retired());
    retired.remove(old);
    retired.remove(next.key().publicKey().fingerprint()); // a key rolled back to is not retired
    retired.add(old);
    while (retired.size() > HostKeyFile.MAX_RETIRED) {
      retired.remove(0);
    }
    HostKeyFile promoted = new HostKeyFile(next.key(), next.created(), retired);
    KeyFiles.writePrivate(current.from(), promoted.format(), true);
    Files.delete(nextFile);
    return new Retired(old, promoted);
  }

  private void requireFiles(String what) {
    if (credential().isPresent()) {
      throw new IllegalStateException(
          "the host key is the systemd credential "
              + credential().get()
              + ": "
              + what
              + " in the directory the credentials are made from (auth-server keys host-key "
              + what
              + " --keys DIR), then encrypt host.key and host-next.key again"
              + " (docs/OPERATIONS.md, \"Rotating the host key\")");
    }
  }

  /**
   * A finished retire.
   *
   * @param fingerprint the retired key's fingerprint, or null if an earlier retire had already
   *     promoted the next key
   * @param current the host key now
   */
  public record Retired(String fingerprint, HostKeyFile current) {}

  /**
   * The host key, made now if there is none (and no credential names one).
   *
   * @return the key and whether it was made by this call
   * @throws KeyFileException naming the file and the fix, if one exists but cannot be used
   */
  public Loaded loadOrCreate() throws IOException {
    Optional<Path> fromCredential = credential();
    if (fromCredential.isPresent()) {
      return new Loaded(read(fromCredential.get(), false), fromCredential.get(), false);
    }
    Path file = keysDir.resolve(HostKeyFile.FILE_NAME);
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return new Loaded(read(file, true), file, false);
    }
    Optional<java.util.List<String>> published = loadPublic();
    if (published.isPresent()) {
      // The server's keys are systemd credentials: a new key here would be a second identity.
      throw new KeyFileException(
          keysDir.resolve(PUBLIC_FILE_NAME),
          "the host key "
              + published.get().get(0)
              + " is a systemd credential ("
              + CREDENTIAL_NAME
              + ", named in "
              + keysDir.resolve(PUBLIC_FILE_NAME)
              + ") that this process was not given; no new host key is made. Start the service"
              + " with LoadCredentialEncrypted= as docs/OPERATIONS.md shows");
    }
    KeyFiles.ensurePrivateDirectory(keysDir);
    HostKeyFile made =
        new HostKeyFile(
            HostKey.generate(randomness), clock.instant().truncatedTo(ChronoUnit.SECONDS));
    try {
      KeyFiles.writePrivate(file, made.format(), false); // never over another's key
    } catch (FileAlreadyExistsException e) {
      return new Loaded(read(file, true), file, false); // another process made it first
    }
    return new Loaded(made, file, true);
  }

  /**
   * The host key, which must exist.
   *
   * @throws KeyFileException if there is none, naming how to make one
   */
  public Loaded load() throws IOException {
    Path where = location();
    if (!Files.exists(where, LinkOption.NOFOLLOW_LINKS)) {
      throw new KeyFileException(
          where,
          "there is no host key at "
              + where
              + "; make one with: auth-server keys init --keys "
              + keysDir);
    }
    return new Loaded(read(where, credential().isEmpty()), where, false);
  }

  private HostKeyFile read(Path file, boolean inKeystore) throws KeyFileException {
    if (inKeystore) {
      ownership.checkFile(file);
    }
    return HostKeyFile.parse(file, KeyFiles.readPrivate(file));
  }

  /**
   * A loaded host key.
   *
   * @param file the key and when it was made
   * @param from where it was read (or written)
   * @param created whether this call made it
   */
  public record Loaded(HostKeyFile file, Path from, boolean created) {
    /** The key's fingerprint, {@code SHA256:…}. */
    public String fingerprint() {
      return file.key().publicKey().fingerprint();
    }
  }
}
