package dev.authgate.protocol.keyfile;

import dev.authgate.protocol.crypto.Verifier;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One key of a client as the server stores it.
 *
 * @param keyId the key id
 * @param revoked when the key was revoked, or null if it is not
 * @param created when the key was made
 * @param expires when the key stops working (end of a rotation grace period), or null
 * @param verifier StoredKey and ServerKey
 * @param replaces for a key the client made itself in a self-rotation, the key id it replaces; else
 *     null
 * @param used for a self-rotated key, when the client first logged in with it (from then on the key
 *     it replaces is {@link KeyStatus#REPLACED}); null before
 * @param replaced when this key stopped counting as the client's: its self-rotated successor was
 *     used, or a newer rotation superseded it before it was ever used; null while it counts
 * @param asked when a server first asked the client to rotate this key (its {@code
 *     --rotate-deadline} counts from then); null if it never was
 */
public record KeyEntry(
    String keyId,
    Instant created,
    Instant revoked,
    Instant expires,
    Verifier verifier,
    String replaces,
    Instant used,
    String usedFrom,
    Instant replaced,
    Instant asked) {
  /** Validates the required parts. */
  public KeyEntry {
    ClientIds.requireValid(keyId, "key id");
    Objects.requireNonNull(created, "created");
    Objects.requireNonNull(verifier, "verifier");
    if (replaces != null) {
      ClientIds.requireValid(replaces, "replaced key id");
    }
    if (usedFrom != null && !usedFrom.matches("[0-9A-Za-z.:\\[\\]%_-]{1,100}")) {
      throw new IllegalArgumentException("used-from must be an address");
    }
  }

  /** A key never asked to rotate. */
  public KeyEntry(
      String keyId,
      Instant created,
      Instant revoked,
      Instant expires,
      Verifier verifier,
      String replaces,
      Instant used,
      String usedFrom,
      Instant replaced) {
    this(keyId, created, revoked, expires, verifier, replaces, used, usedFrom, replaced, null);
  }

  /** A key an operator made (not a self-rotation). */
  public KeyEntry(
      String keyId, Instant created, Instant revoked, Instant expires, Verifier verifier) {
    this(keyId, created, revoked, expires, verifier, null, null, null, null);
  }

  /** A key the client made in a self-rotation, replacing {@code replaces}, not used yet. */
  public static KeyEntry selfRotated(
      String keyId, Instant created, Verifier verifier, String replaces) {
    return new KeyEntry(
        keyId, created, null, null, verifier, Objects.requireNonNull(replaces), null, null, null);
  }

  /** The key's status at {@code now}. */
  public KeyStatus statusAt(Instant now) {
    if (revoked != null) {
      return KeyStatus.REVOKED;
    }
    if (replaced != null) {
      return KeyStatus.REPLACED;
    }
    if (expires != null && !now.isBefore(expires)) {
      return KeyStatus.EXPIRED;
    }
    return KeyStatus.ACTIVE;
  }

  /** Whether the client made this key in a self-rotation and has not logged in with it yet. */
  public boolean awaitsFirstUse() {
    return replaces != null && used == null;
  }

  /** This key, revoked at {@code when} (kept if it was revoked before). */
  public KeyEntry revokedAt(Instant when) {
    return with(k -> k.revoked = revoked == null ? when : revoked);
  }

  /** This key, expiring at {@code when}. */
  public KeyEntry expiringAt(Instant when) {
    return with(k -> k.expires = when);
  }

  /** This key, first used at {@code when} from {@code source} (an address, or null). */
  public KeyEntry usedAt(Instant when, String source) {
    return with(
        k -> {
          k.used = when;
          k.usedFrom = source;
        });
  }

  /** This key, replaced at {@code when} (kept, so a copy of it that turns up gives itself away). */
  public KeyEntry replacedAt(Instant when) {
    return with(k -> k.replaced = replaced == null ? when : replaced);
  }

  /** This key, counting as the client's again (an operator's unlock). */
  public KeyEntry reinstated() {
    return with(k -> k.replaced = null);
  }

  /** This key, first asked to rotate at {@code when} (kept if it was asked before). */
  public KeyEntry askedAt(Instant when) {
    return with(k -> k.asked = asked == null ? when : asked);
  }

  /** A copy of this key with the stamps {@code change} sets; the id, creation and verifier stay. */
  private KeyEntry with(Consumer<Stamps> change) {
    Stamps k = new Stamps(this);
    change.accept(k);
    return new KeyEntry(
        keyId,
        created,
        k.revoked,
        k.expires,
        verifier,
        replaces,
        k.used,
        k.usedFrom,
        k.replaced,
        k.asked);
  }

  /** The stamps of a key's life, which the {@code …At} methods change one at a time. */
  private static final class Stamps {
    Instant revoked;
    Instant expires;
    Instant used;
    String usedFrom;
    Instant replaced;
    Instant asked;

    Stamps(KeyEntry from) {
      revoked = from.revoked;
      expires = from.expires;
      used = from.used;
      usedFrom = from.usedFrom;
      replaced = from.replaced;
      asked = from.asked;
    }
  }
}
