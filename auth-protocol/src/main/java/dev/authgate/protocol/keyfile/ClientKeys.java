package dev.authgate.protocol.keyfile;

import dev.authgate.protocol.crypto.Verifier;
import dev.authgate.protocol.keyfile.KeyText.Line;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the server keeps for one client: its keys' verifiers, never a secret. The file, one
 * per client in the keystore directory:
 *
 * <pre>
 * authgate-verifiers 1
 * client-id sensor-1
 * key k1 created=2026-11-22T18:20:00Z stored-key=BASE64 server-key=BASE64
 * key k2 created=... revoked=2026-12-01T10:00:00Z stored-key=... server-key=...
 * </pre>
 *
 * Optional attributes: {@code revoked=} and {@code expires=} (ISO-8601 instants); for a key the
 * client made in a self-rotation, {@code replaces=KEY-ID}, {@code used=} (its first login) and, on
 * a key that stopped counting, {@code replaced=}. An optional {@code permissions} line limits what
 * the client may do ({@link Permissions}); {@code rotate-every} (an ISO-8601 duration) asks it to
 * rotate its own key that often; {@code locked} (an instant) refuses it after a replaced key was
 * used. Immutable.
 *
 * @param clientId the client id
 * @param keys the keys, in file order
 * @param permissions what the client may do once verified
 * @param pendingToken the enrollment token it came with while it waits for {@code keys approve} (a
 *     {@code pending TOKEN-ID} line; refused until then), or null
 * @param rotateEvery how often the client is asked to rotate its own key ({@code rotate-every
 *     30d}), {@link #NEVER_ROTATE} for never, or null for the server's default
 * @param locked when the client id was locked because a replaced key was used ({@code locked
 *     INSTANT}), or null
 */
public record ClientKeys(
    String clientId,
    List<KeyEntry> keys,
    Permissions permissions,
    String pendingToken,
    Duration rotateEvery,
    Instant locked) {
  static final String MAGIC = "authgate-verifiers";
  static final String ROTATE_EVERY = "rotate-every";

  /**
   * The {@code rotateEvery} of a client never asked to rotate, whatever the server's default
   * ({@code rotate-every never} in the file).
   */
  public static final Duration NEVER_ROTATE = Duration.ZERO;

  static final String LOCKED = "locked";

  /** Validates the id and copies the list. */
  public ClientKeys {
    ClientIds.requireValid(clientId, "client id");
    keys = List.copyOf(keys);
    java.util.Objects.requireNonNull(permissions, "permissions");
  }

  /** A client with these keys that may do everything the server allows. */
  public ClientKeys(String clientId, List<KeyEntry> keys) {
    this(clientId, keys, Permissions.ALL, null);
  }

  /** A client with these keys and permissions, pending for {@code pendingToken} (or null). */
  public ClientKeys(
      String clientId, List<KeyEntry> keys, Permissions permissions, String pendingToken) {
    this(clientId, keys, permissions, pendingToken, null, null);
  }

  /** A client with these keys and permissions, not pending. */
  public ClientKeys(String clientId, List<KeyEntry> keys, Permissions permissions) {
    this(clientId, keys, permissions, null);
  }

  /** A copy with these permissions. */
  public ClientKeys with(Permissions updated) {
    return new ClientKeys(clientId, keys, updated, pendingToken, rotateEvery, locked);
  }

  /** A copy pending approval for {@code tokenId}, or (null) approved. */
  public ClientKeys pending(String tokenId) {
    return new ClientKeys(clientId, keys, permissions, tokenId, rotateEvery, locked);
  }

  /** A copy asked to rotate every {@code every} (null: the server's default). */
  public ClientKeys rotatingEvery(Duration every) {
    return new ClientKeys(clientId, keys, permissions, pendingToken, every, locked);
  }

  /** A copy locked at {@code when}, or (null) unlocked. */
  public ClientKeys lockedAt(Instant when) {
    return new ClientKeys(clientId, keys, permissions, pendingToken, rotateEvery, when);
  }

  /** Whether it waits for an operator's {@code keys approve}. */
  public boolean isPending() {
    return pendingToken != null;
  }

  /** The file name for a client's verifiers in the keystore directory. */
  public static String fileName(String clientId) {
    return ClientIds.requireValid(clientId, "client id") + ".keys";
  }

  /** The key with this id, if any. */
  public Optional<KeyEntry> key(String keyId) {
    return keys.stream().filter(k -> k.keyId().equals(keyId)).findFirst();
  }

  /** A copy with {@code entry} replacing the key of the same id, or appended. */
  public ClientKeys with(KeyEntry entry) {
    List<KeyEntry> updated = new ArrayList<>(keys);
    updated.removeIf(k -> k.keyId().equals(entry.keyId()));
    int at = 0;
    while (at < keys.size() && !keys.get(at).keyId().equals(entry.keyId())) {
      at++;
    }
    updated.add(Math.min(at, updated.size()), entry);
    return new ClientKeys(clientId, updated, permissions, pendingToken, rotateEvery, locked);
  }

  /** The file text. */
  public String format() {
    StringBuilder out = new StringBuilder();
    out.append("# authgate verifiers for client '")
        .append(clientId)
        .append("': StoredKey and ServerKey only, never the secret.\n")
        .append(MAGIC)
        .append(" 1\nclient-id ")
        .append(clientId)
        .append('\n');
    if (pendingToken != null) {
      out.append("pending ").append(pendingToken).append('\n');
    }
    if (!permissions.unrestricted()) {
      out.append(Permissions.LINE).append(' ').append(permissions.format()).append('\n');
    }
    if (rotateEvery != null) {
      out.append(ROTATE_EVERY)
          .append(' ')
          .append(rotateEvery.isZero() ? "never" : rotateEvery.toString())
          .append('\n');
    }
    if (locked != null) {
      out.append(LOCKED).append(' ').append(locked).append('\n');
    }
    for (KeyEntry key : keys) {
      out.append("key ").append(key.keyId()).append(" created=").append(key.created());
      if (key.revoked() != null) {
        out.append(" revoked=").append(key.revoked());
      }
      if (key.expires() != null) {
        out.append(" expires=").append(key.expires());
      }
      if (key.replaces() != null) {
        out.append(" replaces=").append(key.replaces());
      }
      if (key.used() != null) {
        out.append(" used=").append(key.used());
      }
      if (key.usedFrom() != null) {
        out.append(" used-from=").append(key.usedFrom());
      }
      if (key.replaced() != null) {
        out.append(" replaced=").append(key.replaced());
      }
      if (key.asked() != null) {
        out.append(" asked=").append(key.asked());
      }
      out.append(" stored-key=")
          .append(KeyText.base64(key.verifier().storedKey()))
          .append(" server-key=")
          .append(KeyText.base64(key.verifier().serverKey()))
          .append('\n');
    }
    return out.toString();
  }

  /**
   * Parses a verifier file's text.
   *
   * @throws KeyFileException naming the file and line of the problem
   */
  public static ClientKeys parse(Path file, String text) throws KeyFileException {
    List<Line> lines = KeyText.parse(file, text);
    KeyText.requireHeader(file, lines, MAGIC);
    String clientId = null;
    Permissions permissions = null;
    String pending = null;
    Duration rotateEvery = null;
    Instant locked = null;
    List<KeyEntry> keys = new ArrayList<>();
    for (Line line : lines.subList(1, lines.size())) {
      switch (line.name()) {
        case "client-id" -> clientId = KeyText.id(file, line);
        case Permissions.LINE -> {
          if (permissions != null) {
            throw KeyText.error(file, line.number(), "a second permissions line");
          }
          permissions = Permissions.parse(file, line);
        }
        case "pending" -> {
          if (pending != null || !line.value().matches("[0-9a-f]{16}")) {
            throw KeyText.error(file, line.number(), "pending must name a token id, once");
          }
          pending = line.value();
        }
        case ROTATE_EVERY -> rotateEvery = rotateEvery(file, line, rotateEvery);
        case LOCKED -> locked = locked(file, line, locked);
        case "key" -> keys.add(parseKey(file, line, keys));
        default -> throw KeyText.error(file, line.number(), "unknown field '" + line.name() + "'");
      }
    }
    if (clientId == null) {
      throw new KeyFileException(file, file + " has no client-id line");
    }
    requireListedPredecessors(file, keys);
    return new ClientKeys(
        clientId,
        keys,
        permissions == null ? Permissions.ALL : permissions,
        pending,
        rotateEvery,
        locked);
  }

  /** A {@code rotate-every} line's value: an ISO-8601 duration or {@code never}, once. */
  private static Duration rotateEvery(Path file, Line line, Duration before)
      throws KeyFileException {
    if (before != null) {
      throw KeyText.error(file, line.number(), "a second rotate-every line");
    }
    Duration every;
    try {
      every = line.value().equals("never") ? NEVER_ROTATE : Duration.parse(line.value());
    } catch (DateTimeParseException e) {
      throw KeyText.error(file, line.number(), "rotate-every is not an ISO-8601 duration or never");
    }
    if (every.isNegative() || every.isZero() && !line.value().equals("never")) {
      throw KeyText.error(file, line.number(), "rotate-every must be positive");
    }
    return every;
  }

  /** A {@code locked} line's instant, once. */
  private static Instant locked(Path file, Line line, Instant before) throws KeyFileException {
    if (before != null) {
      throw KeyText.error(file, line.number(), "a second locked line");
    }
    try {
      return Instant.parse(line.value());
    } catch (DateTimeParseException e) {
      throw KeyText.error(file, line.number(), "locked is not an ISO-8601 instant");
    }
  }

  /** Every key a key {@code replaces} is listed in the same file. */
  private static void requireListedPredecessors(Path file, List<KeyEntry> keys)
      throws KeyFileException {
    for (KeyEntry key : keys) {
      if (key.replaces() != null
          && keys.stream().noneMatch(k -> k.keyId().equals(key.replaces()))) {
        throw new KeyFileException(
            file,
            file
                + ": key "
                + key.keyId()
                + " replaces "
                + key.replaces()
                + ", which is not listed");
      }
    }
  }

  /** The attributes a {@code key} line may have. */
  private static final Set<String> KEY_ATTRIBUTES =
      Set.of(
          "created",
          "revoked",
          "expires",
          "stored-key",
          "server-key",
          "replaces",
          "used",
          "used-from",
          "replaced",
          "asked");

  private static KeyEntry parseKey(Path file, Line line, List<KeyEntry> earlier)
      throws KeyFileException {
    String[] parts = line.value().split(" +");
    String keyId = parts[0];
    if (!ClientIds.isValid(keyId)) {
      throw KeyText.error(file, line.number(), "key id must be " + ClientIds.RULE);
    }
    if (earlier.stream().anyMatch(k -> k.keyId().equals(keyId))) {
      throw KeyText.error(file, line.number(), "key id '" + keyId + "' appears twice");
    }
    Map<String, String> attributes = new HashMap<>();
    for (int i = 1; i < parts.length; i++) {
      int eq = parts[i].indexOf('=');
      if (eq < 1 || attributes.put(parts[i].substring(0, eq), parts[i].substring(eq + 1)) != null) {
        throw KeyText.error(file, line.number(), "expected distinct name=value attributes");
      }
    }
    for (String name : attributes.keySet()) {
      if (!KEY_ATTRIBUTES.contains(name)) {
        throw KeyText.error(file, line.number(), "unknown key attribute '" + name + "'");
      }
    }
    if (!attributes.containsKey("stored-key") || !attributes.containsKey("server-key")) {
      throw KeyText.error(file, line.number(), "key needs stored-key= and server-key=");
    }
    Verifier verifier =
        new Verifier(
            KeyText.key32(file, line.number(), "stored-key", attributes.get("stored-key")),
            KeyText.key32(file, line.number(), "server-key", attributes.get("server-key")));
    Instant created = instant(file, line, attributes, "created");
    if (created == null) {
      throw KeyText.error(file, line.number(), "key needs created=");
    }
    String usedFrom = attributes.get("used-from");
    if (usedFrom != null && !usedFrom.matches("[0-9A-Za-z.:\\[\\]%_-]{1,100}")) {
      throw KeyText.error(file, line.number(), "used-from must be an address");
    }
    String replaces = attributes.get("replaces");
    if (replaces != null && !ClientIds.isValid(replaces)) {
      throw KeyText.error(file, line.number(), "replaces must name a key id");
    }
    return new KeyEntry(
        keyId,
        created,
        instant(file, line, attributes, "revoked"),
        instant(file, line, attributes, "expires"),
        verifier,
        replaces,
        instant(file, line, attributes, "used"),
        usedFrom,
        instant(file, line, attributes, "replaced"),
        instant(file, line, attributes, "asked"));
  }

  private static Instant instant(Path file, Line line, Map<String, String> attributes, String name)
      throws KeyFileException {
    String value = attributes.get(name);
    if (value == null) {
      return null;
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw KeyText.error(file, line.number(), name + " is not an ISO-8601 instant");
    }
  }
}
