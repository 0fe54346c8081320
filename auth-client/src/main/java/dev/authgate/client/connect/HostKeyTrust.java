package dev.authgate.client.connect;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.handshake.ClientHandshake;
import dev.authgate.protocol.identity.HostKeyCheck;
import dev.authgate.protocol.identity.HostPublicKey;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.protocol.text.IoErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Which server host keys a client trusts: the pins of its credential (or enrollment token), checked
 * against the key that signs each HELLO before anything is sent to the server. What a verified
 * server announces in WELCOME is learned as a change — a next key of a rotation pinned, a retired
 * one dropped — applied to the pins the credential file holds at that moment (so a pin an operator
 * removed with {@code auth-client pin --replace} is not written back), and the file is rewritten
 * atomically (write, fsync, rename; mode 0600; its owner kept; a linked credential rewritten where
 * the link points). A file-backed trust rereads the file's pins when it changes, so a long-running
 * client follows an operator's {@code pin}. A key is never pinned because it was presented, except
 * on first use of a credential without pins and only if asked ({@code --accept-new}, trust on first
 * use, as OpenSSH's {@code StrictHostKeyChecking=accept-new}); pins are never evicted to make room.
 *
 * <p>Thread-safe: connections of one client (a watched folder, a reconnecting chat) share it.
 */
public final class HostKeyTrust implements HostKeyCheck {
  private final Path file;
  private final String where;
  private final boolean acceptNew;
  private final Consumer<String> warnings;
  private volatile List<String> pins;
  private Object fileSeen;
  private boolean warned;

  private HostKeyTrust(
      List<String> pins, Path file, String where, boolean acceptNew, Consumer<String> warnings) {
    this.pins = List.copyOf(pins);
    this.file = file;
    this.where = where;
    this.acceptNew = acceptNew;
    this.warnings = warnings;
    this.fileSeen = file == null ? null : stamp(file);
  }

  /** The pins of {@code credential}, kept in memory only. */
  public static HostKeyTrust of(Credential credential) {
    return new HostKeyTrust(credential.hostKeys(), null, "the credential", false, w -> {});
  }

  /**
   * The pins of {@code token}, or of {@code fingerprint} for a token made before host keys.
   *
   * @throws IllegalArgumentException if neither names a host key
   */
  public static HostKeyTrust of(EnrollmentToken token, String fingerprint) {
    String pin = fingerprint != null ? fingerprint : token.hostKey();
    if (pin == null) {
      throw new IllegalArgumentException(
          "this token (agt1-…) was made before host keys and pins none: ask for a new token, or"
              + " give --host-key SHA256:… as 'auth-server keys host-key' prints it on the server");
    }
    if (!HostPublicKey.isFingerprint(pin)) {
      throw new IllegalArgumentException(
          "--host-key must be a fingerprint like SHA256: and 43 base64 characters");
    }
    if (token.hostKey() != null && fingerprint != null && !token.hostKey().equals(fingerprint)) {
      throw new IllegalArgumentException(
          "--host-key " + fingerprint + " is not the host key the token pins: " + token.hostKey());
    }
    return new HostKeyTrust(List.of(pin), null, "the token", false, w -> {});
  }

  /**
   * The pins of the credential in {@code file}, learned keys written back to it.
   *
   * @param acceptNew pin the first host key presented if the credential pins none
   * @param warnings told if the file cannot be rewritten (once) and of a key pinned on first use
   */
  public static HostKeyTrust file(
      Path file, Credential credential, boolean acceptNew, Consumer<String> warnings) {
    return new HostKeyTrust(
        credential.hostKeys(), Objects.requireNonNull(file), file.toString(), acceptNew, warnings);
  }

  /** The fingerprints trusted now. */
  public List<String> pins() {
    return pins;
  }

  @Override
  public void check(HostPublicKey presented) throws ProtocolException {
    List<String> now = current();
    if (now.contains(presented.fingerprint()) || (now.isEmpty() && acceptNew)) {
      return;
    }
    throw HostKeyCheck.mismatch(now, presented, where);
  }

  /** The pins, reread first if the credential file changed since it was last read. */
  private synchronized List<String> current() {
    if (file != null) {
      Object now = stamp(file);
      if (now != null && !now.equals(fileSeen)) {
        try {
          pins = Credential.load(file).hostKeys();
          fileSeen = now;
        } catch (KeyFileException e) {
          // a file being replaced or broken: keep the pins in memory; the next look tries again
        }
      }
    }
    return pins;
  }

  /**
   * Learns from a completed handshake: the key it accepted on first use, the next keys announced
   * and the retired ones, applied to the pins now. Writes the credential file back if they changed.
   */
  public synchronized void learned(ClientHandshake.Established established) {
    String signedBy = established.hostKey().fingerprint();
    List<String> add = new ArrayList<>();
    if (pins.isEmpty()) {
      add.add(signedBy); // accepted on first use (check() let only that through)
    }
    established.nextHostKeys().forEach(k -> add.add(k.fingerprint()));
    List<String> remove =
        established.retiredHostKeys().stream().filter(r -> !r.equals(signedBy)).toList();
    List<String> updated = apply(pins, add, remove);
    if (updated.equals(pins)) {
      return;
    }
    boolean firstUse = pins.isEmpty();
    pins = updated;
    if (file != null) {
      save(add, remove);
      if (firstUse) {
        warnings.accept(
            "pinned the server's host key "
                + signedBy
                + " in "
                + file
                + " (first use: compare it with 'auth-server keys host-key' on the server)");
      }
    }
  }

  /** {@code pins} less {@code remove}, plus {@code add}, never more than a credential holds. */
  private static List<String> apply(List<String> pins, List<String> add, List<String> remove) {
    LinkedHashSet<String> updated = new LinkedHashSet<>(pins);
    updated.removeAll(remove);
    for (String fingerprint : add) {
      if (updated.size() < Credential.MAX_HOST_KEYS && !remove.contains(fingerprint)) {
        updated.add(fingerprint); // full: nothing is evicted to make room
      }
    }
    return List.copyOf(updated);
  }

  private void save(List<String> add, List<String> remove) {
    try {
      // Where a linked credential really is, so the link keeps pointing at the one copy.
      Path target = file.toRealPath();
      Object before = stamp(target);
      Credential current = Credential.load(target);
      List<String> updated = apply(current.hostKeys(), add, remove);
      if (updated.equals(current.hostKeys())) {
        return;
      }
      if (!Objects.equals(before, stamp(target))) {
        return; // replaced meanwhile (a new credential installed): never write an old secret back
      }
      Map<String, Object> owner =
          Files.readAttributes(target, "unix:uid,gid", LinkOption.NOFOLLOW_LINKS);
      KeyFiles.writePrivate(target, current.withHostKeys(updated).format(), true);
      keepOwner(target, owner);
      fileSeen = stamp(file);
      pins = updated;
    } catch (KeyFileException e) {
      warnOnce("cannot update the host key pins in " + file + ": " + e.getMessage());
    } catch (IOException | UnsupportedOperationException e) {
      warnOnce(
          "cannot update the host key pins in "
              + file
              + " ("
              + (e instanceof IOException io ? IoErrors.describe(io) : e.toString())
              + "); they are kept for this run only");
    }
  }

  /**
   * Replaces the pins of the credential in {@code file} with {@code updated} (an operator's {@code
   * auth-client pin}): written where a link points, atomically, mode 0600, its owner kept.
   */
  public static void writePins(Path file, List<String> updated) throws IOException {
    Path target = file.toRealPath();
    Credential current = Credential.load(target);
    Map<String, Object> owner =
        Files.readAttributes(target, "unix:uid,gid", LinkOption.NOFOLLOW_LINKS);
    KeyFiles.writePrivate(target, current.withHostKeys(updated).format(), true);
    keepOwner(target, owner);
  }

  /** Root rewriting a service user's credential gives it back to that user. */
  private static void keepOwner(Path target, Map<String, Object> owner) throws IOException {
    Map<String, Object> now =
        Files.readAttributes(target, "unix:uid,gid", LinkOption.NOFOLLOW_LINKS);
    if (!now.equals(owner)) {
      Files.setAttribute(target, "unix:uid", owner.get("uid"), LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(target, "unix:gid", owner.get("gid"), LinkOption.NOFOLLOW_LINKS);
    }
  }

  /** What tells a changed credential file apart: inode, size, modification and change times. */
  private static Object stamp(Path file) {
    try {
      return Files.readAttributes(file, "unix:ino,size,lastModifiedTime,ctime");
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
  }

  private void warnOnce(String message) {
    if (!warned) {
      warned = true;
      warnings.accept(message);
    }
  }

  @Override
  public String toString() {
    return "HostKeyTrust" + pins;
  }
}
