package dev.authgate.server.admin;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.AdminTokenFile;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The console's logins: an admin token exchanged for a session cookie ({@code HttpOnly}, {@code
 * SameSite=Strict}) and a CSRF token the page sends back on every change. Only a digest of each
 * cookie is held, so the map's keys give nothing away; a session ends after {@link #IDLE} unused,
 * after {@link #MAX_AGE}, when its admin token expires, or at logout; a revoked token ends it at
 * the next request (the token's file is read every time). At most {@link #MAX_SESSIONS} are held,
 * {@link #MAX_PER_TOKEN} per token; past that the least recently used goes. Thread-safe.
 */
final class ConsoleSessions {
  /** The cookie's name. */
  static final String COOKIE = "authgate_console";

  static final Duration IDLE = Duration.ofHours(1);
  static final Duration MAX_AGE = Duration.ofHours(12);
  static final int MAX_SESSIONS = 1000;

  /**
   * Sessions one admin token may hold; its least recently used goes first, so logins with one token
   * never push out another token's sessions until {@link #MAX_SESSIONS} are held.
   */
  static final int MAX_PER_TOKEN = 20;

  /** One login. */
  record Session(String tokenId, String csrf, Instant expires, Instant lastUsed) {}

  /** What a login gives the browser: the cookie's value and the CSRF token. */
  record Opened(String cookie, String csrf, Session session) {}

  private final Clock clock;
  private final RandomSource random;
  private final Map<String, Session> byDigest = new LinkedHashMap<>(16, 0.75f, true);

  ConsoleSessions(Clock clock, RandomSource random) {
    this.clock = clock;
    this.random = random;
  }

  /** A new session for {@code token}. */
  synchronized Opened open(AdminTokenFile token) {
    String cookie = Base64.getUrlEncoder().withoutPadding().encodeToString(random.bytes(32));
    String csrf = Base64.getUrlEncoder().withoutPadding().encodeToString(random.bytes(32));
    Instant now = clock.instant();
    Instant end = now.plus(MAX_AGE);
    if (token.expires().isBefore(end)) {
      end = token.expires();
    }
    Session session = new Session(token.tokenId(), csrf, end, now);
    java.util.List<String> own =
        byDigest.entrySet().stream()
            .filter(e -> e.getValue().tokenId().equals(token.tokenId()))
            .map(Map.Entry::getKey)
            .toList();
    if (own.size() >= MAX_PER_TOKEN) {
      byDigest.remove(own.get(0)); // least recently used first: the map is in access order
    } else if (byDigest.size() >= MAX_SESSIONS) {
      byDigest.remove(byDigest.keySet().iterator().next());
    }
    byDigest.put(digest(cookie), session);
    return new Opened(cookie, csrf, session);
  }

  /** The live session of {@code cookie}, or null (and a dead one is forgotten). */
  synchronized Session find(String cookie) {
    if (cookie == null || cookie.length() != 43) {
      return null;
    }
    String key = digest(cookie);
    Session session = byDigest.get(key);
    if (session == null) {
      return null;
    }
    Instant now = clock.instant();
    if (!now.isBefore(session.expires()) || !now.isBefore(session.lastUsed().plus(IDLE))) {
      byDigest.remove(key);
      return null;
    }
    Session used = new Session(session.tokenId(), session.csrf(), session.expires(), now);
    byDigest.put(key, used);
    return used;
  }

  /** Ends {@code cookie}'s session, if there is one. */
  synchronized void close(String cookie) {
    if (cookie != null) {
      byDigest.remove(digest(cookie));
    }
  }

  /** Whether {@code sent} is the session's CSRF token, compared in constant time. */
  static boolean csrfMatches(Session session, String sent) {
    return sent != null
        && MessageDigest.isEqual(
            session.csrf().getBytes(StandardCharsets.US_ASCII),
            sent.getBytes(StandardCharsets.US_ASCII));
  }

  private static String digest(String cookie) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256")
                  .digest(cookie.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
