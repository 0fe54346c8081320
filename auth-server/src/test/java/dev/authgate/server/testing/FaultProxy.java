package dev.authgate.server.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A loopback TCP proxy between a real client and a real server that injects one fault into the
 * client-to-server stream once a given number of bytes has passed: a reset, a half-close, a stall,
 * a flipped bit, or a throttle from the start. The other direction is passed through untouched. One
 * connection at a time; every thread it starts ends when either side closes.
 */
public final class FaultProxy implements AutoCloseable {
  /** What happens to the client-to-server stream at byte {@code at}. */
  public enum Fault {
    /** Both sockets are reset (SO_LINGER 0): the server reads "connection reset" mid-frame. */
    RESET,
    /** The server sees end-of-stream; the server-to-client direction stays open. */
    HALF_CLOSE,
    /** Nothing more is forwarded for the stall time, then forwarding resumes. */
    STALL,
    /** One bit of byte {@code at} is flipped. */
    FLIP,
    /** Forwarded at about the throttle rate from the first byte; {@code at} is ignored. */
    THROTTLE
  }

  private final ServerSocket listener;
  private final int target;
  private final Fault fault;
  private final long at;
  private final long stallMillis;
  private final long bytesPerSecond;
  private final CountDownLatch injected = new CountDownLatch(1);
  private volatile Socket client;
  private volatile Socket server;

  private FaultProxy(int target, Fault fault, long at, long stallMillis, long bytesPerSecond)
      throws IOException {
    this.listener = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
    this.target = target;
    this.fault = fault;
    this.at = at;
    this.stallMillis = stallMillis;
    this.bytesPerSecond = bytesPerSecond;
    Thread.ofVirtual().name("fault-proxy-accept").start(this::acceptOne);
  }

  /** A proxy to {@code 127.0.0.1:target} that injects {@code fault} after {@code at} bytes. */
  public static FaultProxy to(int target, Fault fault, long at) throws IOException {
    return new FaultProxy(target, fault, at, 2000, 0);
  }

  /**
   * A proxy that stops forwarding client-to-server bytes after {@code at} of them for {@code
   * stallMillis}: the server hears nothing (no PING), so it answers nothing.
   */
  public static FaultProxy stalling(int target, long at, long stallMillis) throws IOException {
    return new FaultProxy(target, Fault.STALL, at, stallMillis, 0);
  }

  /** A proxy that forwards client-to-server bytes at about {@code bytesPerSecond}. */
  public static FaultProxy throttled(int target, long bytesPerSecond) throws IOException {
    return new FaultProxy(target, Fault.THROTTLE, 0, 0, bytesPerSecond);
  }

  /** The proxy's port, for the client. */
  public int port() {
    return listener.getLocalPort();
  }

  /** Waits until the fault has been injected; false if it was not within {@code seconds}. */
  public boolean awaitInjected(long seconds) throws InterruptedException {
    return injected.await(seconds, TimeUnit.SECONDS);
  }

  private void acceptOne() {
    try {
      Socket c = listener.accept();
      Socket s = new Socket();
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 10_000);
      c.setTcpNoDelay(true);
      s.setTcpNoDelay(true);
      client = c;
      server = s;
      Thread.ofVirtual().name("fault-proxy-up").start(() -> forwardUp(c, s));
      Thread.ofVirtual().name("fault-proxy-down").start(() -> copy(s, c));
    } catch (IOException e) {
      // Closed before a client came: nothing to proxy.
    }
  }

  private void forwardUp(Socket from, Socket to) {
    byte[] buffer = new byte[16 * 1024];
    long passed = 0;
    boolean done = fault == Fault.THROTTLE;
    long start = System.nanoTime();
    try (InputStream in = from.getInputStream()) {
      OutputStream out = to.getOutputStream();
      for (int n; (n = in.read(buffer, 0, chunk(done, passed, buffer.length))) > 0; ) {
        if (!done && passed + n > at) {
          int before = (int) (at - passed);
          out.write(buffer, 0, before);
          done = true;
          if (!inject(buffer, before, n, out)) {
            return;
          }
        } else {
          out.write(buffer, 0, n);
        }
        passed += n;
        if (fault == Fault.THROTTLE) {
          pace(passed, start);
        }
      }
      to.shutdownOutput();
    } catch (IOException | InterruptedException e) {
      closeBoth();
    }
  }

  private int chunk(boolean done, long passed, int max) {
    if (fault == Fault.THROTTLE) {
      return (int) Math.max(1, Math.min(max, bytesPerSecond / 20));
    }
    return done ? max : (int) Math.min(max, Math.max(1, at - passed + 1));
  }

  /** Injects the fault at {@code buffer[from]}; returns whether forwarding goes on. */
  private boolean inject(byte[] buffer, int from, int n, OutputStream out)
      throws IOException, InterruptedException {
    injected.countDown();
    switch (fault) {
      case RESET -> {
        reset(client);
        reset(server);
        return false;
      }
      case HALF_CLOSE -> {
        server.shutdownOutput();
        return false;
      }
      case STALL -> {
        Thread.sleep(stallMillis);
        out.write(buffer, from, n - from);
      }
      case FLIP -> {
        buffer[from] ^= 0x10;
        out.write(buffer, from, n - from);
      }
      case THROTTLE -> out.write(buffer, from, n - from);
    }
    return true;
  }

  private void pace(long passed, long start) throws InterruptedException {
    long due = start + passed * 1_000_000_000L / bytesPerSecond;
    long wait = due - System.nanoTime();
    if (wait > 0) {
      Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
    }
  }

  private static void copy(Socket from, Socket to) {
    try (InputStream in = from.getInputStream()) {
      in.transferTo(to.getOutputStream());
      to.shutdownOutput();
    } catch (IOException e) {
      // One side went away; the other pump or the test closes the rest.
    }
  }

  private static void reset(Socket socket) {
    try {
      socket.setSoLinger(true, 0);
      socket.close();
    } catch (IOException ignored) {
      // Already gone.
    }
  }

  private void closeBoth() {
    for (Socket s : new Socket[] {client, server}) {
      if (s != null) {
        try {
          s.close();
        } catch (IOException ignored) {
          // Already gone.
        }
      }
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    closeBoth();
  }
}
