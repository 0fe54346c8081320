package dev.authgate.server.testing;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.frame.FrameType;
import dev.authgate.protocol.handshake.ClientHandshake;
import dev.authgate.protocol.handshake.Hello;
import dev.authgate.protocol.handshake.SessionKeys;
import dev.authgate.protocol.identity.HostKeyCheck;
import dev.authgate.protocol.keyfile.ClientIdentity;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.protocol.testing.LeakLedger;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;

/**
 * A scripted peer on a plain socket: it can speak the protocol step by step, or stop, corrupt or
 * stall at any step. Everything it sends is kept so tests can inspect the wire bytes.
 */
public final class RawClient implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final ByteArrayOutputStream sent = new ByteArrayOutputStream();
  private final ByteArrayOutputStream received = new ByteArrayOutputStream();

  private RawClient(Socket socket) throws IOException {
    this.socket = socket;
    socket.setTcpNoDelay(true);
    socket.setSoTimeout((int) Duration.ofSeconds(15).toMillis());
    this.in =
        new java.io.FilterInputStream(socket.getInputStream()) {
          @Override
          public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
              received.write(b);
            }
            return b;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
              received.write(b, off, n);
            }
            return n;
          }
        };
    this.out = socket.getOutputStream();
  }

  /** Connects to {@code 127.0.0.1:port}. */
  public static RawClient connect(int port) throws IOException {
    return new RawClient(new Socket("127.0.0.1", port));
  }

  /**
   * Connects to {@code 127.0.0.1:port} from {@code localAddress} (any 127.x.y.z works on Linux, so
   * tests can play several sources), with a receive buffer of {@code receiveBuffer} bytes (0: the
   * system's default) set before connecting, so a peer that stops reading stalls the server soon.
   */
  public static RawClient connect(int port, String localAddress, int receiveBuffer)
      throws IOException {
    Socket socket = new Socket();
    if (receiveBuffer > 0) {
      socket.setReceiveBufferSize(receiveBuffer);
    }
    socket.bind(new java.net.InetSocketAddress(localAddress, 0));
    socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 15_000);
    return new RawClient(socket);
  }

  /** Reads one handshake frame. */
  public Frame readFrame() throws IOException {
    Frame frame = FrameCodec.read(in, FrameCodec.PRE_AUTH_MAX_PAYLOAD);
    if (frame.type() == FrameType.HELLO && frame.payload().length == Hello.PAYLOAD_BYTES) {
      LeakLedger.sawChallenge(
          java.util.Arrays.copyOfRange(frame.payload(), 2, 2 + Hello.CHALLENGE_BYTES));
    }
    return frame;
  }

  private int flipBit = -1;
  private boolean recording = true;

  /** Stops keeping what is sent: for peers that send without end (floods, soaks). */
  public RawClient withoutRecording() {
    recording = false;
    sent.reset();
    return this;
  }

  /** Corrupts the next {@link #send}: bit {@code bit} (0 = first bit of its bytes) is flipped. */
  public void flipBitOfNextSend(int bit) {
    flipBit = bit;
  }

  /** A client id no keystore has, with a random secret: a wrong key, as an attacker would try. */
  public static ClientIdentity stranger() {
    return new ClientIdentity(
        "nobody", "k1", ScramKeys.fromSaltedPassword(RandomSource.secure().bytes(32)));
  }

  /** Runs a whole handshake as {@code identity} and one PING/PONG; fails if either fails. */
  public void ping(ClientIdentity identity) throws IOException {
    SecureChannel channel = handshake(identity);
    channel.send(new SessionMessage.Ping(1));
    Object answer = channel.receive();
    if (!new SessionMessage.Pong(1).equals(answer)) {
      throw new AssertionError("expected PONG 1, got " + answer);
    }
  }

  /** Sends raw bytes. */
  public void send(byte[] bytes) throws IOException {
    if (flipBit >= 0) {
      bytes = bytes.clone();
      bytes[flipBit / 8] ^= (byte) (1 << (flipBit % 8));
      flipBit = -1;
    }
    if (recording) {
      sent.writeBytes(bytes);
    }
    out.write(bytes);
    out.flush();
  }

  /**
   * Server tests drive the server they started; which host key signed its HELLO is what the
   * protocol and client tests check, so these handshakes accept any key whose signature verifies.
   */
  public static final HostKeyCheck ANY_HOST_KEY = presented -> {};

  /** Runs a whole handshake as {@code identity}, returning the session channel. */
  public SecureChannel handshake(ClientIdentity identity) throws IOException {
    ClientHandshake handshake =
        new ClientHandshake(identity, RawClient.ANY_HOST_KEY, RandomSource.secure());
    send(handshake.onHello(readFrame()));
    ClientHandshake.Established established = handshake.onWelcome(readFrame());
    keys = established.keys();
    return SecureChannel.client(in, recordingOut(), established.keys());
  }

  private SessionKeys keys;

  /** The session keys of the last {@link #handshake}, for a test's datagrams. */
  public SessionKeys keys() {
    return keys;
  }

  /**
   * Runs a whole handshake as {@code identity}, returning a session channel whose sealed frames are
   * written to {@code held} instead of the socket: the test decides what reaches the server, in
   * what order, whole, twice, cut or altered.
   */
  public SecureChannel handshakeHolding(ClientIdentity identity, ByteArrayOutputStream held)
      throws IOException {
    ClientHandshake handshake =
        new ClientHandshake(identity, RawClient.ANY_HOST_KEY, RandomSource.secure());
    send(handshake.onHello(readFrame()));
    ClientHandshake.Established established = handshake.onWelcome(readFrame());
    return SecureChannel.client(in, held, established.keys());
  }

  /** The local port, which the server's audit records as part of {@code remote}. */
  public int localPort() {
    return socket.getLocalPort();
  }

  private OutputStream recordingOut() {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        send(new byte[] {(byte) b});
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        send(java.util.Arrays.copyOfRange(b, off, off + len));
      }
    };
  }

  /** Half-closes: the server reads end-of-stream. */
  public void shutdownOutput() throws IOException {
    socket.shutdownOutput();
  }

  /** Everything sent so far. */
  public byte[] sentBytes() {
    return sent.toByteArray();
  }

  /** Everything received so far. */
  public byte[] receivedBytes() {
    return received.toByteArray();
  }

  /** Reads until the server closes; returns what arrived. */
  public byte[] readToEnd() throws IOException {
    return in.readAllBytes();
  }

  /** The input stream, for scripted reads. */
  public InputStream input() {
    return in;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
