package dev.authgate.server.testing;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A UDP proxy for tests that drops, duplicates, reorders, delays and corrupts datagrams, in both
 * directions, from a seeded random source (so a failing run can be replayed). The client sends to
 * {@link #port()}; the proxy forwards to the server from a socket of its own, and what the server
 * sends back goes to the client's last address. Loopback only; stops when closed.
 */
public final class UdpFaultProxy implements AutoCloseable {
  private final DatagramSocket front;
  private final DatagramSocket back;
  private final InetSocketAddress server;
  private final Random random;
  private final double drop;
  private final double duplicate;
  private final double reorder;
  private final double corrupt;
  private volatile SocketAddress client;
  private volatile boolean closed;
  private final AtomicLong dropped = new AtomicLong();

  private final AtomicLong fromClient = new AtomicLong();
  private final AtomicLong duplicated = new AtomicLong();
  private final AtomicLong reordered = new AtomicLong();
  private final AtomicLong corrupted = new AtomicLong();
  private final Thread upstream;
  private final Thread downstream;

  /**
   * @param drop, duplicate, reorder, corrupt the chance of each fault per datagram, 0..1
   */
  public UdpFaultProxy(
      int serverPort, long seed, double drop, double duplicate, double reorder, double corrupt)
      throws SocketException {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    this.front = new DatagramSocket(0, loopback);
    this.back = new DatagramSocket(0, loopback);
    this.server = new InetSocketAddress(loopback, serverPort);
    this.random = new Random(seed);
    this.drop = drop;
    this.duplicate = duplicate;
    this.reorder = reorder;
    this.corrupt = corrupt;
    this.upstream = Thread.ofPlatform().daemon(true).start(() -> relay(front, true));
    this.downstream = Thread.ofPlatform().daemon(true).start(() -> relay(back, false));
  }

  /** Where the client sends. */
  public int port() {
    return front.getLocalPort();
  }

  /** Datagrams received from the client so far (before any fault). */
  public long receivedFromClient() {
    return fromClient.get();
  }

  /** Faults done so far: dropped, duplicated, reordered, corrupted. */
  public long[] faults() {
    return new long[] {dropped.get(), duplicated.get(), reordered.get(), corrupted.get()};
  }

  private void relay(DatagramSocket from, boolean toServer) {
    byte[] held = null;
    while (!closed) {
      DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
      try {
        from.receive(packet);
        if (toServer) {
          client = packet.getSocketAddress();
          fromClient.incrementAndGet();
        }
        byte[] data = java.util.Arrays.copyOf(packet.getData(), packet.getLength());
        SocketAddress to = toServer ? server : client;
        DatagramSocket out = toServer ? back : front;
        double roll;
        synchronized (random) {
          roll = random.nextDouble();
        }
        if (roll < drop) {
          dropped.incrementAndGet();
          continue;
        }
        if (roll < drop + corrupt) {
          corrupted.incrementAndGet();
          int bit;
          synchronized (random) {
            bit = random.nextInt(data.length * 8);
          }
          data[bit / 8] ^= (byte) (1 << (bit % 8));
        }
        if (held == null && roll > 1 - reorder) {
          reordered.incrementAndGet();
          held = data; // sent after the next one
          continue;
        }
        send(out, data, to);
        if (roll > drop + corrupt && roll < drop + corrupt + duplicate) {
          duplicated.incrementAndGet();
          send(out, data, to);
        }
        if (held != null) {
          send(out, held, to);
          held = null;
        }
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private static void send(DatagramSocket out, byte[] data, SocketAddress to) throws IOException {
    if (to != null) {
      out.send(new DatagramPacket(data, data.length, to));
    }
  }

  @Override
  public void close() {
    closed = true;
    front.close();
    back.close();
    try {
      upstream.join(2000);
      downstream.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
