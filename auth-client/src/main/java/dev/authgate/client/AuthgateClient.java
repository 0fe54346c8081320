package dev.authgate.client;

import dev.authgate.client.chat.ChatClient;
import dev.authgate.client.chat.ReconnectingChat;
import dev.authgate.client.connect.Backoff;
import dev.authgate.client.connect.ConnectionSource;
import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.CredentialFile;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.Reconnector;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.client.download.DownloadListener;
import dev.authgate.client.download.DownloadOutcome;
import dev.authgate.client.download.Downloader;
import dev.authgate.client.upload.UploadListener;
import dev.authgate.client.upload.UploadOutcome;
import dev.authgate.client.upload.Uploader;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.session.FileListing;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The embeddable client: one server, one credential, and what a machine does with them. Every
 * method opens its own verified connection (TCP, then the proof in both directions and the X25519
 * exchange); {@link #connect()} hands one out for several operations.
 *
 * <pre>{@code
 * AuthgateClient client = AuthgateClient.of("gate.example:7350", Path.of("/etc/authgate/m1.key"));
 * client.ping();
 * UploadOutcome outcome = client.upload(Path.of("report.csv"));
 * DownloadOutcome config = client.get("agent.conf", Path.of("/etc/agent"), true);
 * }</pre>
 *
 * <p>Immutable and thread-safe; {@code with…} methods return a changed copy. The {@code
 * auth-client} command line is built on this class.
 */
public final class AuthgateClient implements ConnectionSource {
  /**
   * The limit on connecting and on each server reply unless {@link #withTimeout} says otherwise.
   */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  /**
   * How long {@link #connect} keeps trying a server that answers "try later" unless {@link
   * #withBusyRetry} says otherwise: long enough for a burst of machines starting at once to get in
   * one after another even when each is slow to start (100 processes on a 2-core machine take tens
   * of seconds: docs/OPERATIONS.md, "Bursts"), short enough for a script to hear the refusal while
   * it still matters.
   */
  public static final Duration DEFAULT_BUSY_RETRY = Duration.ofSeconds(30);

  /**
   * The longest a penalty the server names is waited out, from the first attempt (and never longer
   * than the busy retry): a short one is sat through, saying so; a longer one is reported at once.
   */
  public static final Duration PENALTY_WAIT = Duration.ofSeconds(10);

  private final ServerAddress server;
  private final Credential credential;
  private final HostKeyTrust trust;
  private final Duration timeout;
  private final Backoff backoff;
  private final BusyRetry busyRetry;
  private final Consumer<String> steps;
  private final CredentialFile credentialFile;

  private AuthgateClient(
      ServerAddress server,
      Credential credential,
      HostKeyTrust trust,
      Duration timeout,
      Backoff backoff,
      BusyRetry busyRetry,
      Consumer<String> steps,
      CredentialFile credentialFile) {
    this.credentialFile = credentialFile;
    this.server = Objects.requireNonNull(server, "server");
    this.credential = Objects.requireNonNull(credential, "credential");
    this.trust = Objects.requireNonNull(trust, "trust");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.busyRetry = Objects.requireNonNull(busyRetry, "busyRetry");
    this.steps = Objects.requireNonNull(steps, "steps");
  }

  /**
   * A client of {@code server} holding {@code credential}, trusting the host keys it pins (learned
   * keys are kept in memory; {@link #of(String, Path)} writes them back to the file). It never
   * rotates its key when a server asks: that needs the file ({@link #of(String, Path)}, or {@link
   * #withCredentialFile}).
   */
  public static AuthgateClient of(ServerAddress server, Credential credential) {
    return new AuthgateClient(
        server,
        credential,
        HostKeyTrust.of(credential),
        DEFAULT_TIMEOUT,
        Backoff.DEFAULT,
        new BusyRetry(DEFAULT_BUSY_RETRY, notice -> {}),
        step -> {},
        null);
  }

  /**
   * A client of {@code server} ({@code HOST[:PORT]}) with the credential file {@code key}.
   *
   * @throws KeyFileException if the file cannot be read, is malformed, or group or others may read
   *     it
   * @throws IllegalArgumentException if {@code server} is malformed
   */
  public static AuthgateClient of(String server, Path key) throws KeyFileException {
    Credential credential = Credential.load(key);
    Consumer<String> warnings =
        w -> System.getLogger(AuthgateClient.class.getName()).log(System.Logger.Level.WARNING, w);
    return of(ServerAddress.parse(server), credential)
        .withHostKeyTrust(HostKeyTrust.file(key, credential, false, warnings))
        .withCredentialFile(CredentialFile.of(key, credential, warnings));
  }

  /**
   * This client logging in with the credential {@code file} holds at each connection, and rotating
   * it when a server asks (docs/PROTOCOL.md §5.7); {@link #of(String, Path)} does this.
   */
  public AuthgateClient withCredentialFile(CredentialFile file) {
    return new AuthgateClient(server, credential, trust, timeout, backoff, busyRetry, steps, file);
  }

  /** This client trusting the server host keys of {@code trust}. */
  public AuthgateClient withHostKeyTrust(HostKeyTrust trust) {
    return new AuthgateClient(
        server, credential, trust, timeout, backoff, busyRetry, steps, credentialFile);
  }

  /** Which server host keys this client trusts now. */
  public HostKeyTrust hostKeyTrust() {
    return trust;
  }

  /** This client with {@code timeout} on connecting, each server reply, and each stalled write. */
  public AuthgateClient withTimeout(Duration timeout) {
    return new AuthgateClient(
        server, credential, trust, timeout, backoff, busyRetry, steps, credentialFile);
  }

  /**
   * This client trying a server that answers "try later" (too many handshakes at once, or this
   * client at its session cap: the server does not say which) or "penalised for N s" again for up
   * to {@code busyRetry} in {@link #connect}; {@link Duration#ZERO} tries once.
   */
  public AuthgateClient withBusyRetry(Duration busyRetry) {
    return with(new BusyRetry(busyRetry, this.busyRetry.waiting()));
  }

  /**
   * This client telling {@code waiting} when {@link #connect} waits out a penalty the server named
   * for this address ("too many failed attempts from this address; retrying in 5 s"), as the
   * command line says on stderr even without {@code --verbose}.
   */
  public AuthgateClient withPenaltyNotices(Consumer<String> waiting) {
    return with(new BusyRetry(busyRetry.limit(), waiting));
  }

  private AuthgateClient with(BusyRetry busyRetry) {
    return new AuthgateClient(
        server, credential, trust, timeout, backoff, busyRetry, steps, credentialFile);
  }

  /**
   * This client telling {@code steps} each step of every connection it makes (resolved, connected,
   * HELLO and its host key, AUTH sent, verified): what {@code --verbose} prints. Never a secret.
   */
  public AuthgateClient withSteps(Consumer<String> steps) {
    return new AuthgateClient(
        server, credential, trust, timeout, backoff, busyRetry, steps, credentialFile);
  }

  /** This client waiting {@code backoff} between attempts wherever it reconnects. */
  public AuthgateClient withBackoff(Backoff backoff) {
    return new AuthgateClient(
        server, credential, trust, timeout, backoff, busyRetry, steps, credentialFile);
  }

  /** The server this client connects to. */
  public ServerAddress server() {
    return server;
  }

  /** The credential this client proves. */
  public Credential credential() {
    return credential;
  }

  @Override
  public String clientId() {
    return credential.clientId();
  }

  /** The limit on connecting and each server reply. */
  public Duration timeout() {
    return timeout;
  }

  /** The wait between attempts wherever this client reconnects. */
  @Override
  public Backoff backoff() {
    return backoff;
  }

  /**
   * One verified connection; close it when done. A server that answers "try later" is tried again
   * after a short jittered wait (0.25 s doubling to 2 s) for up to {@link #withBusyRetry} (30 s
   * unless set), and one that says this address is penalised once the penalty it named is over if
   * that is within {@link #PENALTY_WAIT} of the first attempt; every other failure is reported at
   * once.
   *
   * @throws dev.authgate.protocol.ProtocolException if the server refused this client or could not
   *     prove itself, or still said "try later" when the busy retry ran out
   * @throws IOException if the connection could not be made
   */
  @Override
  public VerifiedConnection connect() throws IOException {
    return busyRetry.connect(connector(), server);
  }

  /**
   * One verified connection, retried with {@link #backoff()} for as long as failures may pass
   * ({@link Reconnector#isPermanent}); {@code listener} hears each failed attempt.
   *
   * @throws IOException the first failure that waiting cannot fix (e.g. a revoked key)
   * @throws InterruptedException if interrupted while waiting
   */
  public VerifiedConnection connectRetrying(Reconnector.Listener listener)
      throws IOException, InterruptedException {
    return reconnector().connect(listener);
  }

  /** Connects with retries as {@link #connectRetrying} does; for long-running users. */
  @Override
  public Reconnector reconnector() {
    return new Reconnector(connector(), server, backoff, new SecureRandom());
  }

  /**
   * Connects, times one sealed PING round trip, and closes.
   *
   * @return the round-trip time (the handshake not included)
   */
  public Duration ping() throws IOException {
    try (VerifiedConnection connection = connect()) {
      return connection.ping();
    }
  }

  /**
   * Uploads {@code file} under its own name, resuming a partial copy the server kept; an existing
   * file of that name is not replaced.
   *
   * @return how it ended: stored, or refused with the server's reason
   * @throws IOException if the file cannot be read or the connection fails
   */
  public UploadOutcome upload(Path file) throws IOException {
    return upload(file, file.getFileName().toString(), false, UploadListener.silent());
  }

  /**
   * Uploads {@code file} as {@code name} over a connection of its own.
   *
   * @param overwrite replace a file of the same name on the server
   * @param listener hears the progress
   */
  public UploadOutcome upload(Path file, String name, boolean overwrite, UploadListener listener)
      throws IOException {
    try (VerifiedConnection connection = connect()) {
      return new Uploader(connection, listener).upload(file, name, overwrite, true);
    }
  }

  /** The files published for this client (its own and the shared ones), by name. */
  public List<FileListing.Entry> list() throws IOException {
    try (VerifiedConnection connection = connect()) {
      return new Downloader(connection, DownloadListener.silent()).list();
    }
  }

  /**
   * Fetches the published file {@code name} into {@code directory}, resuming a staging file an
   * interrupted download left; with {@code ifChanged}, transfers nothing if the local copy already
   * has the server's SHA-256.
   *
   * @return how it ended: fetched, unchanged, or refused with the server's reason
   */
  public DownloadOutcome get(String name, Path directory, boolean ifChanged) throws IOException {
    try (VerifiedConnection connection = connect()) {
      return new Downloader(connection, DownloadListener.silent())
          .get(name, directory, true, ifChanged);
    }
  }

  /**
   * Joins {@code room} and hands its events to {@code listener} on a reader thread until the
   * session ends; no reconnecting. Close the returned chat to leave.
   */
  public ChatClient chat(String room, Duration keepalive, ChatClient.Listener listener)
      throws IOException {
    ChatClient chat = new ChatClient(connect(), keepalive);
    try {
      chat.start(listener);
      chat.join(room);
      return chat;
    } catch (IOException | RuntimeException e) {
      chat.close();
      throw e;
    }
  }

  /**
   * A chat in {@code room} that reconnects after a lost connection or a server restart, rejoins,
   * and resends what the server had not confirmed. Call {@link ReconnectingChat#run()} to start.
   *
   * @param buffer how many lines may wait for the server to confirm them
   */
  public ReconnectingChat reconnectingChat(
      String room, Duration keepalive, int buffer, ReconnectingChat.Listener listener) {
    return new ReconnectingChat(this, room, keepalive, buffer, listener);
  }

  private Connector connector() {
    Connector connector =
        new Connector(credential.identity(), trust, timeout, RandomSource.secure())
            .withSteps(steps);
    return credentialFile == null ? connector : connector.withCredentialFile(credentialFile);
  }
}
