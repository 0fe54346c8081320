package dev.authgate.bench;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.AdminToken;
import dev.authgate.protocol.keyfile.AdminTokenFile;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.server.AuthgateServer;
import dev.authgate.server.audit.AuditRotation;
import dev.authgate.server.connection.ServerConfig;
import java.io.BufferedWriter;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What each console page asks the admin API for, against a server holding 10 000 clients and a 1
 * 000 000-line audit log, beside the bare HTTP round trip ({@code /healthz}) measured in the same
 * run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class AdminPagesBenchmark {
  static final int CLIENTS = 10_000;
  static final int AUDIT_LINES = 1_000_000;

  private Path dir;
  private AuthgateServer server;
  private HttpClient http;
  private String base;
  private String token;

  /** Makes the keystore and the log, and starts the server with its admin port. */
  @Setup
  public void setUp() throws IOException {
    dir = Files.createTempDirectory("admin-bench");
    Path keys = dir.resolve("keys");
    KeyFiles.ensurePrivateDirectory(keys);
    Path audit = dir.resolve("audit.jsonl");
    writeLog(audit);
    server =
        AuthgateServer.builder(ServerConfig.loopback(0, dir.resolve("uploads")), keys)
            .environment(java.util.Map.of())
            .auditLog(audit, AuditRotation.never())
            .admin(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .watchKeystore(Duration.ofMillis(500))
            .start();
    for (int i = 0; i < CLIENTS; i++) {
      server.keystore().add(String.format("sensor-%05d", i));
    }
    server.liveKeystore().replace(server.keystore().load());
    AdminToken admin = AdminToken.generate(RandomSource.secure());
    server
        .keystore()
        .adminTokens()
        .create(admin, "bench", AdminTokenFile.Scope.READ, Duration.ofDays(1));
    token = admin.text();
    http = HttpClient.newHttpClient();
    base = "http://127.0.0.1:" + server.adminAddress().getPort();
  }

  /** A log like a busy server's: three refusals to one acceptance, from 50 000 addresses. */
  private static void writeLog(Path audit) throws IOException {
    Instant start = Instant.parse("2026-12-01T00:00:00Z");
    try (BufferedWriter out = Files.newBufferedWriter(audit, StandardCharsets.UTF_8)) {
      for (int i = 0; i < AUDIT_LINES; i++) {
        String ts = start.plusMillis(i * 50L).toString();
        String remote = "198.51." + (i % 50_000 / 256) + "." + (i % 256) + ":40000";
        if (i % 4 == 0) {
          out.write(
              String.format(
                  "{\"ts\":\"%s\",\"event\":\"auth.accepted\",\"conn\":\"b-%d\",\"remote\":\"%s\",\"client_id\":\"sensor-%05d\",\"key_id\":\"k1\"}%n",
                  ts, i, remote, i % CLIENTS));
        } else {
          out.write(
              String.format(
                  "{\"ts\":\"%s\",\"event\":\"auth.rejected\",\"conn\":\"b-%d\",\"remote\":\"%s\",\"client_id\":\"sensor-%05d\",\"key_id\":\"k1\",\"reason\":\"bad-proof\",\"detail\":\"the proof did not match\"}%n",
                  ts, i, remote, i % 1_000));
        }
      }
    }
  }

  /** Stops the server and removes the files. */
  @TearDown
  public void tearDown() throws IOException {
    server.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private int get(String path) throws IOException, InterruptedException {
    HttpResponse<byte[]> response =
        http.send(
            HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", "Bearer " + token)
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(path + " answered " + response.statusCode());
    }
    return response.body().length;
  }

  /** Baseline: the HTTP round trip alone. */
  @Benchmark
  public int healthz() throws Exception {
    return get("/healthz");
  }

  /** The console's page itself. */
  @Benchmark
  public int consolePage() throws Exception {
    return get("/");
  }

  /** Overview: its two requests. */
  @Benchmark
  public int overview() throws Exception {
    return get("/api/overview") + get("/api/sessions");
  }

  /** Machines, as it first opens: the first page of clients. */
  @Benchmark
  public int machines() throws Exception {
    return get("/api/clients");
  }

  /** Machines, searching for one id. */
  @Benchmark
  public int machinesSearch() throws Exception {
    return get("/api/clients?q=sensor-04242");
  }

  /** Audit, as it first opens: the newest 100 lines. */
  @Benchmark
  public int audit() throws Exception {
    return get("/api/audit?limit=100");
  }

  /** Audit filtered to one client's refusals (about one line in 1 300). */
  @Benchmark
  public int auditFiltered() throws Exception {
    return get("/api/audit?event=auth.rejected&client=sensor-00007&limit=100");
  }
}
