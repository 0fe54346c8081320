package dev.authgate.client.connect;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.handshake.ClientHandshake;
import dev.authgate.protocol.identity.HostKeyCheck;
import dev.authgate.protocol.io.WriteDeadline;
import dev.authgate.protocol.keyfile.ClientIdentity;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.text.TerminalText;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Opens verified connections: TCP connect, then HELLO, AUTH, WELCOME. If HELLO is not signed by a
 * trusted host key, nothing is sent at all; if the server refuses, or cannot prove it holds this
 * client's verifier, the socket is closed at once and nothing more is sent.
 *
 * <p>Immutable and thread-safe; each {@link #connect} is independent.
 */
public final class Connector {
  private final ClientIdentity identity;
  private final HostKeyTrust trust;
  private final Duration timeout;
  private final RandomSource randomness;
  private final Consumer<String> steps;
  private final CredentialFile credentialFile;

  /**
   * @param identity who this client is
   * @param trust which server host keys it trusts; learns what verified servers announce
   * @param timeout limit for connecting, for each read the server controls and for each write it
   *     can stall by not reading
   * @param randomness source of the nonce and ephemeral key
   */
  public Connector(
      ClientIdentity identity, HostKeyTrust trust, Duration timeout, RandomSource randomness) {
    this(identity, trust, timeout, randomness, step -> {}, null);
  }

  private Connector(
      ClientIdentity identity,
      HostKeyTrust trust,
      Duration timeout,
      RandomSource randomness,
      Consumer<String> steps,
      CredentialFile credentialFile) {
    this.identity = identity;
    this.trust = trust;
    this.timeout = timeout;
    this.randomness = randomness;
    this.steps = steps;
    this.credentialFile = credentialFile;
  }

  /**
   * This connector logging in with the credential {@code file} holds at each connection (not the
   * identity it was made with), and rotating it when a server asks (docs/PROTOCOL.md §5.7).
   */
  public Connector withCredentialFile(CredentialFile file) {
    return new Connector(identity, trust, timeout, randomness, steps, file);
  }

  /**
   * This connector telling {@code steps} each step of a connection as it happens (resolved,
   * connected, HELLO and its host key, AUTH sent, verified), for {@code --verbose}. Never a secret.
   */
  public Connector withSteps(Consumer<String> steps) {
    return new Connector(identity, trust, timeout, randomness, steps, credentialFile);
  }

  /**
   * Connects and completes the handshake.
   *
   * @throws ProtocolException if the server refused us or could not be verified
   * @throws IOException if the connection could not be made or was lost
   */
  public VerifiedConnection connect(ServerAddress server) throws IOException {
    return connect(server, null);
  }

  /**
   * Connects from {@code localAddress} (a port the system chooses) and completes the handshake: for
   * a load test that needs more connections than one source address has ephemeral ports.
   *
   * @param localAddress the address to connect from, or null for the system's choice
   * @throws ProtocolException if the server refused us or could not be verified
   * @throws IOException if the connection could not be made or was lost
   */
  public VerifiedConnection connect(ServerAddress server, InetAddress localAddress)
      throws IOException {
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      if (localAddress != null) {
        socket.bind(new InetSocketAddress(localAddress, 0));
      }
      int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
      long start = System.nanoTime();
      connectTo(socket, server, millis);
      steps.accept("connected to " + endpoints(socket) + " in " + since(start));
      socket.setSoTimeout(millis);
      BufferedInputStream in = new BufferedInputStream(socket.getInputStream());
      WriteDeadline out = new WriteDeadline(socket.getOutputStream());
      long connected = System.nanoTime();
      HostKeyCheck check = checkSaying(connected);
      Greeting.Greeted greeted = Greeting.read(in, socket, out, server, timeout);
      Frame hello = greeted.frame();
      // The file is read only now, after HELLO: a server lets in a key replaced after its HELLO
      // went out (another process of this machine rotated the file meanwhile), and locks the id
      // for one replaced before (docs/PROTOCOL.md §5.7).
      Credential credential = credentialFile == null ? null : credentialFile.current();
      ClientIdentity identity = credential == null ? this.identity : credential.identity();
      ClientHandshake handshake = new ClientHandshake(identity, check, randomness);
      sendAuth(handshake.onHello(hello), greeted, out);
      steps.accept(
          "sent AUTH as " + identity.clientId() + " (key " + identity.keyId() + "), sealed");
      ClientHandshake.Established established =
          handshake.onWelcome(FrameCodec.read(in, FrameCodec.PRE_AUTH_MAX_PAYLOAD));
      trust.learned(established);
      steps.accept(verifiedStep(established, connected));
      VerifiedConnection connection =
          new VerifiedConnection(
              socket,
              SecureChannel.client(in, out, established.keys()),
              established.serverId(),
              out,
              timeout,
              established.keys());
      if (credential != null) {
        credentialFile.loggedIn(credential);
        if (established.rotation() != null) {
          credentialFile.rotate(
              connection, credential, established.rotation().refuseAfter(), randomness, steps);
        }
      }
      return connection;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  private static String verifiedStep(ClientHandshake.Established established, long connected) {
    return "verified server '"
        + TerminalText.escape(established.serverId())
        + "': it proved it holds this client's verifier (handshake "
        + since(connected)
        + ")";
  }

  /** {@code SERVER from LOCAL} of a connected socket, for the steps. */
  private static String endpoints(Socket socket) {
    return format(socket.getRemoteSocketAddress())
        + " from "
        + format(socket.getLocalSocketAddress());
  }

  /** The host key check of one connection, saying each step when it is {@code --verbose}. */
  private HostKeyCheck checkSaying(long connected) {
    return presented -> {
      steps.accept(
          "HELLO after " + since(connected) + ", signed by host key " + presented.fingerprint());
      trust.check(presented);
      steps.accept("this credential trusts that host key");
    };
  }

  /**
   * Sends AUTH; if its header went out already, while the port was silent ({@link Greeting}), the
   * rest of the same bytes.
   */
  private static void sendAuth(byte[] auth, Greeting.Greeted greeted, WriteDeadline out)
      throws IOException {
    if (!greeted.authHeaderSent()) {
      out.write(auth);
      return;
    }
    if (!Arrays.equals(auth, 0, 5, Greeting.AUTH_HEADER, 0, 5)) {
      throw new IllegalStateException("AUTH's header is not the one sent early");
    }
    out.write(Arrays.copyOfRange(auth, 5, auth.length));
  }

  /**
   * Connects {@code socket}, naming the address tried in a failure: {@code cannot connect to
   * gate:7350: connection refused}, not a bare {@code Connection refused}.
   */
  private void connectTo(Socket socket, ServerAddress server, int millis) throws IOException {
    steps.accept("connecting to " + server);
    InetSocketAddress address = new InetSocketAddress(server.host(), server.port());
    if (!address.isUnresolved()
        && !address.getAddress().getHostAddress().equals(server.host())
        && !("[" + address.getAddress().getHostAddress() + "]").equals(server.host())) {
      steps.accept(server.host() + " is " + address.getAddress().getHostAddress());
    }
    try {
      socket.connect(address, millis);
    } catch (java.net.SocketTimeoutException e) {
      throw new java.net.ConnectException(
          server + ": no answer within " + Math.max(1, millis / 1000) + " s");
    } catch (java.net.SocketException e) {
      String why = e.getMessage() == null ? "failed" : e.getMessage();
      throw new java.net.ConnectException(
          server + ": " + Character.toLowerCase(why.charAt(0)) + why.substring(1));
    }
  }

  private static String since(long start) {
    return String.format(java.util.Locale.ROOT, "%.1f ms", (System.nanoTime() - start) / 1e6);
  }

  /** {@code 127.0.0.1:7350} or {@code [::1]:7350}. */
  private static String format(java.net.SocketAddress address) {
    if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
      String host = inet.getAddress().getHostAddress();
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + inet.getPort();
    }
    return String.valueOf(address);
  }
}
