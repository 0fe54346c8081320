package dev.authgate.client.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A stable address in front of a server that comes and goes: while open it forwards each connection
 * to the current target port; while shut it closes new connections at once (as a restarting
 * server's port would refuse them) and {@link #shut()} cuts the ones it carries. A reconnecting
 * client under test is pointed at the gate; the test decides when it may get through.
 */
public final class Gate implements AutoCloseable {
  private final ServerSocket listener;
  private final Set<Socket> carried = ConcurrentHashMap.newKeySet();
  private volatile int target = -1;
  private volatile int accepted;

  private Gate() throws IOException {
    listener = new ServerSocket();
    listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    Thread.ofVirtual().name("gate").start(this::accept);
  }

  /** A shut gate; {@link #open} points it at a server. */
  public static Gate create() throws IOException {
    return new Gate();
  }

  /** The gate's port, for the client. */
  public int port() {
    return listener.getLocalPort();
  }

  /** How many connections the gate has accepted, shut or open. */
  public int accepted() {
    return accepted;
  }

  /** Forwards new connections to {@code 127.0.0.1:port}. */
  public void open(int port) {
    target = port;
  }

  /** Refuses new connections and cuts every carried one. */
  public void shut() {
    target = -1;
    for (Socket socket : carried) {
      closeQuietly(socket);
    }
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        accepted++;
        int to = target;
        if (to < 0) {
          closeQuietly(client);
          continue;
        }
        Socket server;
        try {
          server = new Socket(InetAddress.getLoopbackAddress(), to);
        } catch (IOException refused) {
          closeQuietly(client);
          continue;
        }
        carried.add(client);
        carried.add(server);
        pipe(client, server);
        pipe(server, client);
      } catch (IOException e) {
        // A closed listener ends the loop; a refused target is a refused client.
      }
    }
  }

  private void pipe(Socket from, Socket to) {
    Thread.ofVirtual()
        .start(
            () -> {
              byte[] buffer = new byte[64 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                  out.write(buffer, 0, n);
                }
              } catch (IOException e) {
                // Cut: close both ends below.
              } finally {
                closeQuietly(from);
                closeQuietly(to);
                carried.remove(from);
                carried.remove(to);
              }
            });
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Already closed.
    }
  }

  @Override
  public void close() throws IOException {
    shut();
    listener.close();
  }
}
