package dev.authgate.server.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/** Loopback ports for tests that must know a port before a server binds it. */
public final class Ports {
  private Ports() {}

  /**
   * A port nobody listens on now that the kernel never picks as a source port: retried connects to
   * a closed port in the ephemeral range can connect to themselves (TCP simultaneous open), and a
   * server restarted on the same port must not find it taken. Linux picks source ports from 32768
   * up by default (net.ipv4.ip_local_port_range). Starts at a random place, so tests running side
   * by side rarely race for one.
   */
  public static int belowTheEphemeralRange() throws IOException {
    int start = ThreadLocalRandom.current().nextInt(20_000, 32_000);
    for (int i = 0; i < 2_000; i++) {
      int port = 20_000 + (start - 20_000 + i * 7) % 12_000;
      try (ServerSocket probe = new ServerSocket()) {
        probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        return port;
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IOException("no free port below the ephemeral range");
  }
}
