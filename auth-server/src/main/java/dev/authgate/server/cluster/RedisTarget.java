package dev.authgate.server.cluster;

import dev.authgate.protocol.keyfile.KeyFiles;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.SslOptions;
import redis.clients.jedis.SslVerifyMode;

/**
 * Where Redis is: {@code redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]}, or {@code rediss://…} for TLS
 * (the server's certificate checked against the JVM's trust store: {@code
 * -Djavax.net.ssl.trustStore=…} for a private CA). The password is kept for connecting and left out
 * of {@link #toString()}, which is what logs and the audit log show; it can also come from a file
 * ({@link #withPasswordFrom}), so it is never on a command line.
 *
 * @param host the host name or address
 * @param port the port (6379 if not given)
 * @param database the database number (0 if not given); it also names the pub/sub channels, which
 *     Redis does not separate by database
 * @param user the ACL user, or null
 * @param password the password, or null
 * @param tls whether to connect over TLS ({@code rediss://})
 */
public record RedisTarget(
    String host, int port, int database, String user, String password, boolean tls) {
  /** Redis's port. */
  public static final int DEFAULT_PORT = 6379;

  /** Without TLS. */
  public RedisTarget(String host, int port, int database, String user, String password) {
    this(host, port, database, user, password, false);
  }

  /**
   * Parses a {@code redis://} URL.
   *
   * @throws IllegalArgumentException naming what is wrong (never echoing a password)
   */
  public static RedisTarget parse(String text) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("--redis must be a URL like redis://127.0.0.1:6379/0");
    }
    if (!"redis".equals(uri.getScheme()) && !"rediss".equals(uri.getScheme())) {
      throw new IllegalArgumentException(
          "--redis must be a redis:// or rediss:// (TLS) URL (unix sockets are not supported),"
              + " e.g. redis://127.0.0.1:6379/0");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("--redis needs a host, e.g. redis://127.0.0.1:6379/0");
    }
    int database = 0;
    String path = uri.getPath();
    if (path != null && !path.isEmpty() && !path.equals("/")) {
      try {
        database = Integer.parseInt(path.substring(1));
      } catch (NumberFormatException e) {
        database = -1;
      }
      if (database < 0 || database > 15) {
        throw new IllegalArgumentException("--redis database must be a number 0-15, as in /0");
      }
    }
    String user = null;
    String password = null;
    String info = uri.getRawUserInfo();
    if (info != null) {
      int colon = info.indexOf(':');
      String rawUser = colon < 0 ? "" : info.substring(0, colon);
      String rawPassword = colon < 0 ? info : info.substring(colon + 1);
      user = rawUser.isEmpty() ? null : URLDecoder.decode(rawUser, StandardCharsets.UTF_8);
      password = URLDecoder.decode(rawPassword, StandardCharsets.UTF_8);
    }
    String host = uri.getHost();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return new RedisTarget(
        host,
        uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort(),
        database,
        user,
        password,
        "rediss".equals(uri.getScheme()));
  }

  /**
   * This target with its password read from {@code file} (its first line; e.g. a systemd
   * credential, {@code $CREDENTIALS_DIRECTORY/redis-password}), instead of the URL's.
   *
   * @throws IOException naming the file, if it cannot be read, is open to group or others, or is
   *     empty
   */
  public RedisTarget withPasswordFrom(java.nio.file.Path file) throws java.io.IOException {
    String text = KeyFiles.readPrivate(file);
    String first = text.lines().findFirst().orElse("").strip();
    if (first.isEmpty()) {
      throw new java.io.IOException("--redis-password-file " + file + " is empty");
    }
    return new RedisTarget(host, port, database, user, first, tls);
  }

  /** {@code redis://HOST:PORT/DB}, with no credentials. */
  @Override
  public String toString() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return (tls ? "rediss://" : "redis://") + h + ":" + port + "/" + database;
  }

  /**
   * How to connect to this Redis: its database, user and password, TLS with the host name checked
   * against the JVM's trust store ({@code javax.net.ssl.trustStore} for a private CA), and RESP2.
   *
   * @param name the client name shown in Redis's client list (made safe for it)
   */
  JedisClientConfig clientConfig(Duration connectTimeout, Duration readTimeout, String name) {
    DefaultJedisClientConfig.Builder builder = DefaultJedisClientConfig.builder();
    if (tls()) {
      builder.sslOptions(SslOptions.builder().sslVerifyMode(SslVerifyMode.FULL).build());
    }
    return builder
        .connectionTimeoutMillis((int) connectTimeout.toMillis())
        .socketTimeoutMillis((int) readTimeout.toMillis())
        .database(database())
        .user(user())
        .password(password())
        .clientName(name.replaceAll("[^A-Za-z0-9._-]", "_"))
        // RESP2, which every Redis since 2.x speaks, without asking (Jedis warns otherwise).
        .autoNegotiateProtocol(false)
        .build();
  }
}
