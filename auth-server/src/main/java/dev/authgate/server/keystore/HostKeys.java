package dev.authgate.server.keystore;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.identity.HostKey;
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
    String dir = environment.get("CREDENTIALS_DIRECTORY");
    if (dir == null || dir.isBlank()) {
      return Optional.empty();
    }
    Path file = Path.of(dir).resolve(CREDENTIAL_NAME);
    return Files.exists(file) ? Optional.of(file) : Optional.empty();
  }

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
