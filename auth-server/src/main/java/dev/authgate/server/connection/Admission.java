package dev.authgate.server.connection;

import dev.authgate.protocol.Reason;
import dev.authgate.server.defence.StartupLimit;
import dev.authgate.server.net.Addresses;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Optional;

/**
 * The door: binds the listening socket, and decides at accept — before any crypto, from in-memory
 * tables only — whether a connection may begin. A penalised source, a source with too many
 * handshakes in progress or a full handshake table gets REFUSED (try later), written and closed off
 * the accept thread by {@link AcceptRefusal}. An admitted connection holds a handshake slot until
 * its handshake ends.
 *
 * <p>Thread-safe; called by the accept thread.
 */
final class Admission {
  private final ServerContext context;
  private final AcceptRefusal refusals;

  Admission(ServerContext context, AcceptRefusal refusals) {
    this.context = context;
    this.refusals = refusals;
  }

  /**
   * Binds the configured address.
   *
   * @throws IOException if it cannot be bound; the message names the address
   */
  static ServerSocket bind(ServerConfig config) throws IOException {
    InetSocketAddress address = new InetSocketAddress(config.bindAddress(), config.port());
    ServerSocket listener = new ServerSocket();
    try {
      listener.setReuseAddress(true);
      listener.bind(address, 128);
      return listener;
    } catch (BindException e) {
      listener.close();
      throw new IOException(
          "cannot listen on " + Addresses.format(address) + ": " + describe(e), e);
    }
  }

  private static String describe(BindException e) {
    String message = String.valueOf(e.getMessage());
    return message.toLowerCase(java.util.Locale.ROOT).contains("in use")
        ? "address already in use"
        : message;
  }

  /**
   * Admits {@code socket} from {@code source} (its netblock), or starts refusing it and returns
   * false at once.
   */
  boolean admit(Socket socket, String source) {
    return admit(socket, source, false);
  }

  /**
   * Admits {@code socket}, or starts refusing it and returns false at once. A connection from a
   * trusted proxy ({@code viaProxy}) only takes a global handshake slot here: the proxy itself is
   * neither penalised nor capped per source, and its client's source is checked once the PROXY
   * header has named it.
   *
   * @param source the netblock of the socket's own address
   */
  boolean admit(Socket socket, String source, boolean viaProxy) {
    if (viaProxy) {
      if (context.startups().tryEnterGlobal()) {
        return true;
      }
      refusals.refuse(socket, Reason.OVERLOADED, false, source);
      return false;
    }
    Optional<Duration> penalty = context.penalties().refusal(socket.getInetAddress());
    if (penalty.isPresent()) {
      refusals.refusePenalized(socket, penalty.get(), source);
      return false;
    }
    StartupLimit.Admission admission = context.startups().tryEnter(source);
    if (admission == StartupLimit.Admission.ADMITTED) {
      return true;
    }
    refusals.refuse(
        socket, Reason.OVERLOADED, admission == StartupLimit.Admission.SOURCE_FULL, source);
    return false;
  }
}
