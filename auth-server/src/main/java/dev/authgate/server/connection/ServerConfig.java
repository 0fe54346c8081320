package dev.authgate.server.connection;

import dev.authgate.protocol.handshake.ServerHandshake;
import dev.authgate.server.chat.ChatLimits;
import dev.authgate.server.defence.Defences;
import dev.authgate.server.upload.UploadLimits;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything a running server is configured with; sealed once the server starts. Immutable.
 *
 * @param bindAddress the address to listen on ({@code ::} for all, dual-stack)
 * @param port the port; 0 picks a free one
 * @param serverId the name given to verified clients
 * @param handshakeTimeout the total time a connection has to complete its handshake
 * @param idleTimeout how long a verified session may stay silent before it is closed
 * @param uploads where uploads go and their limits
 * @param defences penalties and the cap on handshakes in progress
 * @param chat chat history and per-member queue
 * @param sessions caps on verified sessions and the write deadline
 * @param published where the files machines may fetch are published ({@code published/<client>/}
 *     and {@code published/_all/}); it need not exist
 * @param datagrams the UDP port for verified datagrams and its bounds
 */
public record ServerConfig(
    InetAddress bindAddress,
    int port,
    String serverId,
    Duration handshakeTimeout,
    Duration idleTimeout,
    UploadLimits uploads,
    Defences defences,
    ChatLimits chat,
    SessionLimits sessions,
    Path published,
    DatagramLimits datagrams) {
  /** The default port. */
  public static final int DEFAULT_PORT = 7350;

  /** The default total handshake deadline. */
  public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

  /** The default idle limit of a verified session. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);

  /** Validates every field. */
  public ServerConfig {
    Objects.requireNonNull(bindAddress, "bindAddress");
    Objects.requireNonNull(serverId, "serverId");
    Objects.requireNonNull(uploads, "uploads");
    Objects.requireNonNull(defences, "defences");
    Objects.requireNonNull(chat, "chat");
    Objects.requireNonNull(sessions, "sessions");
    Objects.requireNonNull(published, "published");
    Objects.requireNonNull(datagrams, "datagrams");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is outside 0-65535");
    }
    if (!ServerHandshake.isValidServerId(serverId)) {
      throw new IllegalArgumentException("server id must be 1 to 255 bytes of UTF-8");
    }
    requirePositive(handshakeTimeout, "handshake timeout");
    requirePositive(idleTimeout, "idle timeout");
  }

  private static void requirePositive(Duration d, String what) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive");
    }
  }

  /**
   * Defaults on loopback, on {@code port}, storing uploads under {@code uploads} and publishing
   * from {@code published} beside it, with {@link Defences#relaxed() relaxed defences} and session
   * caps out of the way: tests and benchmarks connect, and fail, from one address, many times over.
   */
  public static ServerConfig loopback(int port, Path uploads) {
    return new ServerConfig(
        InetAddress.getLoopbackAddress(),
        port,
        "authgate",
        DEFAULT_HANDSHAKE_TIMEOUT,
        DEFAULT_IDLE_TIMEOUT,
        UploadLimits.defaults(uploads),
        Defences.relaxed(),
        ChatLimits.defaults(),
        new SessionLimits(10_000, 10_000, SessionLimits.DEFAULT_WRITE_TIMEOUT),
        uploads.resolveSibling("published"),
        DatagramLimits.off());
  }

  /** A copy with another handshake deadline. */
  public ServerConfig withHandshakeTimeout(Duration timeout) {
    return edit(c -> c.handshakeTimeout = timeout);
  }

  /** A copy with another idle limit. */
  public ServerConfig withIdleTimeout(Duration timeout) {
    return edit(c -> c.idleTimeout = timeout);
  }

  /** A copy with other chat limits. */
  public ServerConfig withChat(ChatLimits limits) {
    return edit(c -> c.chat = limits);
  }

  /** A copy with other defences. */
  public ServerConfig withDefences(Defences newDefences) {
    return edit(c -> c.defences = newDefences);
  }

  /** A copy with other upload limits. */
  public ServerConfig withUploads(UploadLimits limits) {
    return edit(c -> c.uploads = limits);
  }

  /** A copy bound to another address and port. */
  public ServerConfig withAddress(InetAddress address, int newPort) {
    return edit(
        c -> {
          c.bindAddress = address;
          c.port = newPort;
        });
  }

  /** A copy publishing files from {@code dir}. */
  public ServerConfig withPublished(Path dir) {
    return edit(c -> c.published = dir);
  }

  /** A copy with other session caps and write deadline. */
  public ServerConfig withSessions(SessionLimits limits) {
    return edit(c -> c.sessions = limits);
  }

  /** A copy that names itself {@code id} to clients and to its peers. */
  public ServerConfig withServerId(String id) {
    return edit(c -> c.serverId = id);
  }

  /** A copy taking verified datagrams as {@code limits} say. */
  public ServerConfig withDatagrams(DatagramLimits limits) {
    return edit(c -> c.datagrams = limits);
  }

  /** Copies this config, lets {@code change} set some fields, and validates the result. */
  private ServerConfig edit(java.util.function.Consumer<Fields> change) {
    Fields c = new Fields(this);
    change.accept(c);
    return c.build();
  }

  /** The fields of a config being edited: listed once here, not again in every {@code withX}. */
  private static final class Fields {
    InetAddress bindAddress;
    int port;
    String serverId;
    Duration handshakeTimeout;
    Duration idleTimeout;
    UploadLimits uploads;
    Defences defences;
    ChatLimits chat;
    SessionLimits sessions;
    Path published;
    DatagramLimits datagrams;

    Fields(ServerConfig c) {
      bindAddress = c.bindAddress;
      port = c.port;
      serverId = c.serverId;
      handshakeTimeout = c.handshakeTimeout;
      idleTimeout = c.idleTimeout;
      uploads = c.uploads;
      defences = c.defences;
      chat = c.chat;
      sessions = c.sessions;
      published = c.published;
      datagrams = c.datagrams;
    }

    ServerConfig build() {
      return new ServerConfig(
          bindAddress,
          port,
          serverId,
          handshakeTimeout,
          idleTimeout,
          uploads,
          defences,
          chat,
          sessions,
          published,
          datagrams);
    }
  }
}
