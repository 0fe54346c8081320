package dev.authgate.server.testing;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.server.AuthgateServer;
import dev.authgate.server.audit.AuditRotation;
import dev.authgate.server.cluster.RedisCluster;
import dev.authgate.server.cluster.RedisTarget;
import dev.authgate.server.connection.AuthServer;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.keystore.KeystoreDirectory;
import dev.authgate.server.keystore.LiveHostKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A real server on a loopback port 0, with its keystore, credentials and audit log under one
 * temporary directory. Tests provision clients, connect, and read the audit log back as JSON.
 */
public final class TestServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path root;
  private final Path auditFile;
  private final AuthgateServer authgate;

  private TestServer(
      Path root, ServerConfig config, java.util.function.UnaryOperator<VerifierLookup> lookup)
      throws IOException {
    this(root, root.resolve("keys"), config, lookup, null);
  }

  /** Built as {@code serve} builds its server, with a never-rotated audit log under the root. */
  private TestServer(
      Path root,
      Path keys,
      ServerConfig config,
      java.util.function.UnaryOperator<VerifierLookup> lookup,
      RedisTarget redis)
      throws IOException {
    this.root = root;
    Files.createDirectories(root);
    KeyFiles.ensurePrivateDirectory(keys);
    this.auditFile = root.resolve("audit.jsonl");
    this.authgate =
        AuthgateServer.builder(config, keys)
            .environment(java.util.Map.of())
            .auditLog(auditFile, AuditRotation.never())
            .redis(redis)
            .wrapLookup(lookup)
            .start();
  }

  /**
   * One server of a cluster sharing state through {@code redis}, with its audit log under {@code
   * root} and its keys in {@code keys} (which other servers of the test may share).
   */
  public static TestServer clustered(Path root, Path keys, ServerConfig config, RedisTarget redis)
      throws IOException {
    return new TestServer(root, keys, config, l -> l, redis);
  }

  /**
   * A server on its own with its audit log under {@code root} and its keys in {@code keys}, which
   * other servers of the test may share.
   */
  public static TestServer withKeys(Path root, Path keys, ServerConfig config) throws IOException {
    return new TestServer(root, keys, config, l -> l, null);
  }

  /** The link to the cluster's Redis, or null for a server on its own. */
  public RedisCluster cluster() {
    return authgate.cluster();
  }

  /** A server with default settings on loopback. */
  public static TestServer start(Path root) throws IOException {
    return start(root, ServerConfig.loopback(0, root.resolve("uploads")));
  }

  /** A server with {@code config}. */
  public static TestServer start(Path root, ServerConfig config) throws IOException {
    return new TestServer(root, config, l -> l);
  }

  /**
   * A server with {@code config} whose handshakes and revalidation look keys up through {@code
   * lookup} wrapped around the live keystore: a test can act in the middle of a lookup.
   */
  public static TestServer start(
      Path root, ServerConfig config, java.util.function.UnaryOperator<VerifierLookup> lookup)
      throws IOException {
    return new TestServer(root, config, lookup);
  }

  /** Revokes every key of {@code clientId} in the keystore directory and reloads it now. */
  public void revokeNow(String clientId) throws IOException {
    keystore().revoke(clientId);
    reloadKeys();
  }

  /** Provisions {@code clientId}, writes its credential file and makes the server see it. */
  public Credential provision(String clientId) throws IOException {
    Credential credential = keystore().add(clientId);
    authgate.liveKeystore().replace(keystore().load());
    KeyFiles.writePrivate(credentialFile(clientId), credential.format(), true);
    return credential;
  }

  /** Where {@link #provision} wrote the credential. */
  public Path credentialFile(String clientId) {
    return root.resolve(clientId + ".credential");
  }

  /** The server's host keys (reread by {@link #reloadKeys} and the watcher). */
  public LiveHostKeys hostKeys() {
    return authgate.hostKeys();
  }

  /** The fingerprint of the host key the server signs with now. */
  public String hostKeyFingerprint() {
    return hostKeys().get().signing().publicKey().fingerprint();
  }

  /** Rereads the keystore directory (and the host keys) into the running server. */
  public void reloadKeys() throws IOException {
    hostKeys().refresh();
    authgate.liveKeystore().replace(keystore().load());
  }

  /** As {@code serve --rotate-deadline}: a key due for rotation this long is refused. */
  public TestServer rotateDeadline(Duration deadline) {
    authgate.liveKeystore().rotateDeadline(deadline);
    return this;
  }

  /** Starts watching the keystore directory as {@code serve} does, checking every 100 ms. */
  public TestServer watchKeys() {
    authgate.watchKeystore(Duration.ofMillis(100));
    return this;
  }

  /** The keystore directory. */
  public KeystoreDirectory keystore() {
    return authgate.keystore();
  }

  /** The bound port. */
  public int port() {
    return authgate.address().getPort();
  }

  /** {@code 127.0.0.1:port}. */
  public String hostPort() {
    return "127.0.0.1:" + port();
  }

  /** The audit log file. */
  public Path auditFile() {
    return auditFile;
  }

  /** Every audit line so far, parsed; a line that is not one JSON object fails the test. */
  public List<JsonNode> auditEvents() {
    try {
      List<JsonNode> events = new ArrayList<>();
      for (String line : Files.readAllLines(auditFile)) {
        events.add(JSON.readTree(line));
      }
      return events;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The audit events called {@code name}. */
  public List<JsonNode> events(String name) {
    return auditEvents().stream().filter(e -> e.path("event").asText().equals(name)).toList();
  }

  /**
   * Waits until an event called {@code name} matching {@code test} is written: up to 60 s, which
   * only a busy machine ever needs (it returns as soon as the event is there).
   */
  public JsonNode awaitEvent(String name, Predicate<JsonNode> test) {
    try {
      return await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> events(name).stream().filter(test).findFirst(), o -> o.isPresent())
          .orElseThrow();
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(
          "no "
              + name
              + " event within 60 s; every thread of this JVM, virtual ones too: "
              + dumpThreads(),
          e);
    }
  }

  /**
   * Writes every thread's stack, virtual threads included, beside the audit log (a wait that timed
   * out on a busy machine: is a session stuck, or are the virtual threads' carriers?).
   */
  private String dumpThreads() {
    Path dump = root.resolve("threads-" + System.nanoTime() + ".txt");
    try {
      java.lang.management.ManagementFactory.getPlatformMXBean(
              com.sun.management.HotSpotDiagnosticMXBean.class)
          .dumpThreads(
              dump.toString(),
              com.sun.management.HotSpotDiagnosticMXBean.ThreadDumpFormat.TEXT_PLAIN);
      String text = Files.readString(dump);
      System.err.println(text);
      return dump.toString();
    } catch (IOException | RuntimeException failed) {
      return "(no dump: " + failed + ")";
    }
  }

  /** Waits for the first event called {@code name}. */
  public JsonNode awaitEvent(String name) {
    return awaitEvent(name, e -> true);
  }

  /** The running server. */
  public AuthServer server() {
    return authgate.connections();
  }

  @Override
  public void close() throws IOException {
    authgate.close();
  }
}
