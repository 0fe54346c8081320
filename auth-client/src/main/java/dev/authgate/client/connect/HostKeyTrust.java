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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Which server host keys a client trusts: the pins of its credential (or enrollment token), checked
 * against the key that signs each HELLO before anything is sent to the server. What a verified
 * server announces in WELCOME is learned: a next key of a rotation is pinned, a retired one
 * dropped, and a credential file is rewritten atomically (write, fsync, rename; mode 0600) so the
 * machine still trusts the server after the rotation ends. A key is never pinned because it was
 * presented, except on first use of a credential without pins and only if asked ({@code
 * --accept-new}, trust on first use, as OpenSSH's {@code StrictHostKeyChecking=accept-new}).
 *
 * <p>Thread-safe: connections of one client (a watched folder, a reconnecting chat) share it.
 */
public final class HostKeyTrust implements HostKeyCheck {
  private final Path file;
  private final String where;
  private final boolean acceptNew;
  private final Consumer<String> warnings;
  private volatile List<String> pins;
  private boolean warned;

  private HostKeyTrust(
      List<String> pins, Path file, String where, boolean acceptNew, Consumer<String> warnings) {
    this.pins = List.copyOf(pins);
    this.file = file;
    this.where = where;
    this.acceptNew = acceptNew;
    this.warnings = warnings;
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
   * @param warnings told once if the file cannot be rewritten (the pins are kept in memory)
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
    List<String> now = pins;
    if (now.contains(presented.fingerprint()) || (now.isEmpty() && acceptNew)) {
      return;
    }
    throw HostKeyCheck.mismatch(now, presented, where);
  }

  /**
   * Learns from a completed handshake: the key it accepted on first use, the next keys announced
   * and the retired ones. Writes the credential file back if the pins changed.
   */
  public synchronized void learned(ClientHandshake.Established established) {
    LinkedHashSet<String> updated = new LinkedHashSet<>(pins);
    String signedBy = established.hostKey().fingerprint();
    updated.add(signedBy);
    established.nextHostKeys().forEach(k -> updated.add(k.fingerprint()));
    for (String retired : established.retiredHostKeys()) {
      if (!retired.equals(signedBy)) {
        updated.remove(retired);
      }
    }
    List<String> next = new ArrayList<>(updated);
    while (next.size() > Credential.MAX_HOST_KEYS) {
      next.remove(0);
    }
    if (next.equals(pins)) {
      return;
    }
    pins = List.copyOf(next);
    if (file != null) {
      save(next);
    }
  }

  private void save(List<String> next) {
    try {
      // Reread: another process of this machine may have rewritten it since; only the pins change.
      Credential current = Credential.load(file);
      if (current.hostKeys().equals(next)) {
        return;
      }
      KeyFiles.writePrivate(file, current.withHostKeys(next).format(), true);
    } catch (KeyFileException e) {
      warnOnce("cannot update the host key pins in " + file + ": " + e.getMessage());
    } catch (IOException e) {
      warnOnce(
          "cannot update the host key pins in "
              + file
              + " ("
              + IoErrors.describe(e)
              + "); they are kept for this run only");
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
