package dev.authgate.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.keyfile.AdminToken;
import dev.authgate.protocol.keyfile.AdminTokenFile;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.server.AuthgateServer;
import dev.authgate.server.audit.AuditReader;
import dev.authgate.server.audit.AuditRotation;
import dev.authgate.server.audit.StdoutAuditLog;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.defence.Defences;
import dev.authgate.server.testing.RawClient;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API as automation and an attacker on the same host meet it: a real server with the API
 * on a loopback port, reached over HTTP. Every answer is checked against openapi.json, and by the
 * end every route and status the document names has been seen.
 */
class AdminApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final OpenApiContract CONTRACT = new OpenApiContract();
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  /** Every route of the document with a path a request can take (ids filled in). */
  private static final List<String[]> ROUTES =
      List.of(
          new String[] {"GET", "/api/whoami"},
          new String[] {"GET", "/api/clients"},
          new String[] {"GET", "/api/clients/sensor-1"},
          new String[] {"POST", "/api/clients/sensor-1/revoke"},
          new String[] {"POST", "/api/clients/sensor-1/approve"},
          new String[] {"POST", "/api/clients/sensor-1/deny"},
          new String[] {"GET", "/api/sessions"},
          new String[] {"GET", "/api/tokens"},
          new String[] {"GET", "/api/audit"},
          new String[] {"GET", "/api/audit/summary"},
          new String[] {"GET", "/api/overview"},
          new String[] {"POST", "/api/clients"},
          new String[] {"POST", "/api/clients/sensor-1/rotate"},
          new String[] {"POST", "/api/clients/sensor-1/permissions"},
          new String[] {"POST", "/api/tokens"},
          new String[] {"POST", "/api/tokens/0123456789abcdef/revoke"},
          new String[] {"POST", "/api/sessions/x-1/close"},
          new String[] {"GET", "/api/audit/stream"},
          new String[] {"DELETE", "/api/session"});

  @TempDir Path dir;
  AuthgateServer server;
  Credential sensor;
  String write;
  String read;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(PATIENCE).build();

  /** Where the running server keeps its keys and audit log. */
  Path root;

  @BeforeEach
  void start() throws IOException {
    start(ServerConfig.loopback(0, dir.resolve("uploads")), dir);
  }

  private void start(ServerConfig config, Path where) throws IOException {
    root = where;
    KeyFiles.ensurePrivateDirectory(root.resolve("keys"));
    server =
        AuthgateServer.builder(config, root.resolve("keys"))
            .environment(java.util.Map.of())
            .auditLog(root.resolve("audit.jsonl"), AuditRotation.never())
            .admin(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .watchKeystore(Duration.ofMillis(100))
            .start();
    sensor = server.keystore().add("sensor-1");
    server.liveKeystore().replace(server.keystore().load());
    write = token("ci", AdminTokenFile.Scope.WRITE);
    read = token("viewer", AdminTokenFile.Scope.READ);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @AfterAll
  static void everyRouteAndStatusOfTheDocumentWasSeen() {
    assertThat(CONTRACT.unseen()).as("routes and statuses no test saw").isEmpty();
  }

  private String token(String name, AdminTokenFile.Scope scope) throws IOException {
    AdminToken token = AdminToken.generate(RandomSource.secure());
    server.keystore().adminTokens().create(token, name, scope, Duration.ofDays(1));
    return token.text();
  }

  record Answer(int status, JsonNode body, HttpResponse<String> raw) {}

  private Answer call(String method, String path, String bearer) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://" + hostPort() + path))
            .timeout(PATIENCE)
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    HttpResponse<String> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    String bare = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    if (CONTRACT.template(bare) != null) {
      CONTRACT.check(method, bare, response.statusCode(), response.body());
    }
    return new Answer(response.statusCode(), JSON.readTree(response.body()), response);
  }

  private String hostPort() {
    return "127.0.0.1:" + server.adminAddress().getPort();
  }

  private List<JsonNode> audit(String event) throws IOException {
    List<JsonNode> found = new ArrayList<>();
    new AuditReader()
        .read(
            AuditReader.files(root.resolve("audit.jsonl")),
            e -> {
              if (e.path("event").asText().equals(event)) {
                found.add(e);
              }
            });
    return found;
  }

  private String stateOf(String clientId) throws IOException {
    return server.keystore().client(clientId).keys().get(0).revoked() == null
        ? "not revoked"
        : "revoked";
  }

  @Test
  void probesAndTheDocumentNeedNoToken() throws Exception {
    assertThat(call("GET", "/healthz", null).body().path("status").asText()).isEqualTo("ok");
    assertThat(call("GET", "/readyz", null).body().path("status").asText()).isEqualTo("ready");
    Answer doc = call("GET", "/api/openapi.json", null);
    assertThat(doc.status()).isEqualTo(200);
    assertThat(doc.body()).isEqualTo(CONTRACT.document());
    assertThat(doc.body().path("openapi").asText()).isEqualTo("3.1.0");
  }

  @Test
  void everyRouteRefusesARequestWithoutAValidToken_auditsIt_andChangesNothing() throws Exception {
    AdminToken real = AdminToken.parse(write);
    String wrongSecret = new AdminToken(real.tokenId(), new byte[32]).text();
    String expired = token("old", AdminTokenFile.Scope.WRITE);
    AdminTokenFile old = server.keystore().adminTokens().find("old");
    KeyFiles.writePrivate(
        server.keystore().adminTokens().directory().resolve(old.tokenId() + ".token"),
        new AdminTokenFile(
                old.tokenId(),
                old.name(),
                old.scope(),
                old.digest(),
                old.created(),
                Instant.now().minusSeconds(1),
                null)
            .format(),
        true);
    String revoked = token("gone", AdminTokenFile.Scope.WRITE);
    server.keystore().adminTokens().revoke("gone");
    String[][] cases = {
      {null, "no-token"},
      {"aga1-0000000000000000-" + "A".repeat(43), "unknown-token"},
      {"not-a-token", "malformed"},
      {wrongSecret, "bad-secret"},
      {expired, "expired-token"},
      {revoked, "revoked-token"}
    };
    for (String[] route : ROUTES) {
      for (String[] c : cases) {
        Answer answer = call(route[0], route[1], c[0]);
        assertThat(answer.status()).as("%s %s with %s", route[0], route[1], c[1]).isEqualTo(401);
        assertThat(answer.body().path("error").asText()).isEqualTo(c[1]);
        assertThat(answer.raw().headers().firstValue("WWW-Authenticate"))
            .hasValue("Bearer realm=\"authgate\"");
        assertThat(answer.raw().body())
            .doesNotContain(write.substring(22), wrongSecret.substring(22));
      }
    }
    Answer basic =
        new Answer(
            0,
            null,
            http.send(
                HttpRequest.newBuilder(URI.create("http://" + hostPort() + "/api/clients"))
                    .header("Authorization", "Basic Y2k6eA==")
                    .timeout(PATIENCE)
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
    assertThat(basic.raw().statusCode()).isEqualTo(401);
    assertThat(basic.raw().body()).contains("not-bearer");

    assertThat(stateOf("sensor-1")).isEqualTo("not revoked");
    assertThat(audit("keys.revoked")).isEmpty();
    List<JsonNode> refused = audit("admin.refused");
    // Past 100 a minute, refusals are counted, not written (the next line written says how many).
    assertThat(refused)
        .hasSize(Math.min(ROUTES.size() * cases.length + 1, AdminAccess.REFUSALS_PER_MINUTE));
    assertThat(refused)
        .extracting(e -> e.path("reason").asText())
        .contains(
            "no-token",
            "unknown-token",
            "malformed",
            "bad-secret",
            "expired-token",
            "revoked-token"); // (the Basic one came past the minute's 100: counted, not written)
    assertThat(refused.toString()).doesNotContain(real.text().substring(22));
    assertThat(refused)
        .filteredOn(e -> e.path("reason").asText().equals("bad-secret"))
        .allSatisfy(e -> assertThat(e.path("name").asText()).isEqualTo("ci"));
  }

  @Test
  void aReadTokenReadsEverything_andEveryChangeItAsksForIsRefusedAndAudited() throws Exception {
    assertThat(call("GET", "/api/clients", read).status()).isEqualTo(200);
    assertThat(call("GET", "/api/whoami", read).body().path("scope").asText()).isEqualTo("read");
    for (String[] route : ROUTES) {
      if (route[0].equals("POST")) {
        Answer answer = call(route[0], route[1], read);
        assertThat(answer.status()).isEqualTo(403);
        assertThat(answer.body().path("error").asText()).isEqualTo("read-only-token");
      }
    }
    assertThat(stateOf("sensor-1")).isEqualTo("not revoked");
    assertThat(audit("admin.refused"))
        .hasSize((int) ROUTES.stream().filter(r -> r[0].equals("POST")).count())
        .allSatisfy(e -> assertThat(e.path("name").asText()).isEqualTo("viewer"));
  }

  @Test
  void failedLoginsCostTheSourceAPenalty_thenEvenAGoodTokenWaits() throws Exception {
    server.close();
    start(
        ServerConfig.loopback(0, dir.resolve("uploads")).withDefences(Defences.defaults()),
        java.nio.file.Files.createDirectories(dir.resolve("penalised")));
    // 5 s a failure, refused above 15 s: the fourth failure puts the source over.
    for (int i = 0; i < 4; i++) {
      assertThat(call("GET", "/api/clients", "aga1-0000000000000000-" + "B".repeat(43)).status())
          .isEqualTo(401);
    }
    for (String[] route : ROUTES) {
      Answer answer = call(route[0], route[1], write);
      assertThat(answer.status()).isEqualTo(429);
      assertThat(answer.body().path("error").asText()).isEqualTo("penalized");
      assertThat(answer.raw().headers().firstValue("Retry-After")).isPresent();
    }
    assertThat(stateOf("sensor-1")).isEqualTo("not revoked");
    HttpResponse<String> login =
        browser(
            "POST",
            "/api/session",
            "{\"token\":\"" + write + "\"}",
            "Content-Type",
            "application/json");
    assertThat(login.statusCode()).isEqualTo(429);
    assertThat(audit("admin.refused")).hasSize(4);
  }

  @Test
  void aRevokeThroughTheApiEndsTheMachinesSession_andIsAuditedWithTheTokensName() throws Exception {
    try (RawClient client = RawClient.connect(server.address().getPort())) {
      SecureChannel channel = client.handshake(sensor.identity());
      channel.send(new SessionMessage.Ping(1));
      assertThat(channel.receive()).isEqualTo(new SessionMessage.Pong(1));

      JsonNode sessions = call("GET", "/api/sessions", read).body().path("sessions");
      assertThat(sessions).hasSize(1);
      assertThat(sessions.get(0).path("client_id").asText()).isEqualTo("sensor-1");
      assertThat(sessions.get(0).path("kind").asText()).isEqualTo("ping");
      JsonNode listed = call("GET", "/api/clients/sensor-1", read).body();
      assertThat(listed.path("sessions").asInt()).isEqualTo(1);
      assertThat(listed.path("last_seen").isTextual()).isTrue();
      assertThat(listed.path("keys").get(0).path("fingerprint").asText())
          .isEqualTo(sensor.scramKeys().verifier().fingerprint());

      Answer revoked = call("POST", "/api/clients/sensor-1/revoke", write);
      assertThat(revoked.status()).isEqualTo(200);
      assertThat(revoked.body().path("revoked_keys").asInt()).isEqualTo(1);
      SessionMessage close = channel.receive();
      assertThat(close).isInstanceOf(SessionMessage.Close.class);
      assertThat(((SessionMessage.Close) close).code()).isEqualTo(SessionMessage.Close.REVOKED);
    }
    await()
        .atMost(PATIENCE)
        .untilAsserted(
            () -> assertThat(call("GET", "/api/sessions", read).body().path("sessions")).isEmpty());
    assertThat(call("GET", "/api/clients/sensor-1", read).body().path("state").asText())
        .isEqualTo("revoked");
    JsonNode line = audit("keys.revoked").get(0);
    assertThat(line.path("admin").asText()).isEqualTo("ci");
    assertThat(line.path("admin_token_id").asText()).isEqualTo(AdminToken.parse(write).tokenId());
    assertThat(line.path("client_id").asText()).isEqualTo("sensor-1");
  }

  @Test
  void pendingMachinesAreApprovedOrDenied_andOnlyThose() throws Exception {
    EnrollmentToken token =
        server.keystore().enrollmentTokens().create(Duration.ofHours(1), 2, true, null, "sensor-");
    enroll(token, "sensor-8");
    enroll(token, "sensor-9");
    server.liveKeystore().replace(server.keystore().load()); // as the server's own enrollment does
    assertThat(call("GET", "/api/clients?state=pending", read).body().path("clients"))
        .extracting(c -> c.path("client_id").asText())
        .containsExactly("sensor-8", "sensor-9");
    assertThat(call("GET", "/api/clients?q=SENSOR-9", read).body().path("total").asInt())
        .isEqualTo(1);
    assertThat(call("GET", "/api/tokens", read).body().path("tokens").get(0).path("used").asInt())
        .isEqualTo(2);

    assertThat(call("POST", "/api/clients/sensor-8/approve", write).body().path("state").asText())
        .isEqualTo("active");
    assertThat(call("POST", "/api/clients/sensor-9/deny", write).body().path("state").asText())
        .isEqualTo("revoked");
    Answer again = call("POST", "/api/clients/sensor-8/approve", write);
    assertThat(again.status()).isEqualTo(409);
    assertThat(call("POST", "/api/clients/sensor-1/deny", write).status()).isEqualTo(409);
    assertThat(call("POST", "/api/clients/nobody/approve", write).status()).isEqualTo(404);
    assertThat(call("POST", "/api/clients/nobody/deny", write).status()).isEqualTo(404);
    assertThat(call("POST", "/api/clients/nobody/revoke", write).status()).isEqualTo(404);
    assertThat(call("GET", "/api/clients/nobody", write).status()).isEqualTo(404);
    for (String[] route : ROUTES) {
      if (route[1].startsWith("/api/clients/sensor-1")) {
        Answer bad = call(route[0], route[1].replace("sensor-1", "-bad"), write);
        assertThat(bad.status()).isEqualTo(400);
      }
    }
    assertThat(call("GET", "/api/clients?state=sleepy", read).status()).isEqualTo(400);
    assertThat(audit("enroll.approved"))
        .singleElement()
        .satisfies(e -> assertThat(e.path("admin").asText()).isEqualTo("ci"));
    assertThat(audit("enroll.denied"))
        .singleElement()
        .satisfies(e -> assertThat(e.path("client_id").asText()).isEqualTo("sensor-9"));
  }

  private void enroll(EnrollmentToken token, String id) throws IOException {
    try {
      server
          .keystore()
          .enrollmentTokens()
          .enroll(
              token.tokenId(),
              id,
              ScramKeys.fromSaltedPassword(RandomSource.secure().bytes(32)).verifier());
    } catch (dev.authgate.server.keystore.EnrollRefused e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void theAuditLogIsFilteredAndPaged() throws Exception {
    for (int i = 0; i < 5; i++) {
      call("GET", "/api/clients", "aga1-000000000000000" + i + "-" + "C".repeat(43));
    }
    JsonNode page = call("GET", "/api/audit?event=admin.refused&limit=2", read).body();
    assertThat(page.path("events")).hasSize(2);
    List<String> seen = new ArrayList<>();
    String cursor = null;
    do {
      JsonNode p =
          call(
                  "GET",
                  "/api/audit?event=admin.refused&source=127.0.0.1&since=1h&limit=2"
                      + (cursor == null ? "" : "&cursor=" + cursor),
                  read)
              .body();
      p.path("events").forEach(e -> seen.add(e.path("token_id").asText()));
      cursor = p.path("next").isNull() ? null : p.path("next").asText();
    } while (cursor != null);
    assertThat(seen)
        .containsExactly(
            "0000000000000004",
            "0000000000000003",
            "0000000000000002",
            "0000000000000001",
            "0000000000000000");
    assertThat(call("GET", "/api/audit?client=sensor-1", read).body().path("events")).isEmpty();
    assertThat(call("GET", "/api/audit?until=2000-01-01", read).body().path("events")).isEmpty();
    for (String bad :
        List.of("since=yesterday", "limit=0", "limit=1001", "cursor=x", "limit=1&limit=2")) {
      Answer answer = call("GET", "/api/audit?" + bad, read);
      assertThat(answer.status()).as(bad).isEqualTo(400);
    }
    JsonNode summary = call("GET", "/api/audit/summary?since=1h&top=3", read).body();
    assertThat(summary.path("accepted").asInt()).isZero();
    assertThat(call("GET", "/api/audit/summary?top=0", read).status()).isEqualTo(400);
    assertThat(call("GET", "/api/audit/stream?client=a&client=b", read).status()).isEqualTo(400);
  }

  @Test
  void withTheAuditLogOnStdoutThereIsNothingToQuery() throws Exception {
    server.close();
    server =
        AuthgateServer.builder(
                ServerConfig.loopback(0, dir.resolve("uploads")), dir.resolve("keys"))
            .environment(java.util.Map.of())
            .auditTo(
                new StdoutAuditLog(
                    new PrintStream(OutputStream.nullOutputStream()), Clock.systemUTC()))
            .admin(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .start();
    assertThat(call("GET", "/api/audit", read).status()).isEqualTo(409);
    assertThat(call("GET", "/api/audit/summary", read).body().path("error").asText())
        .isEqualTo("no-audit-file");
  }

  @Test
  void aHundredHalfOpenConnectionsNeverBlockARequest() throws Exception {
    List<Socket> halfOpen = new ArrayList<>();
    try {
      for (int i = 0; i < 100; i++) {
        Socket socket =
            new Socket(InetAddress.getLoopbackAddress(), server.adminAddress().getPort());
        socket
            .getOutputStream()
            .write("GET /api/clients HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        halfOpen.add(socket);
      }
      assertThat(call("GET", "/api/clients", read).status()).isEqualTo(200);
    } finally {
      for (Socket socket : halfOpen) {
        socket.close();
      }
    }
  }

  @Test
  void oversizedHeadersAndBodiesAreRefusedBeforeAnyRoute() throws Exception {
    HttpResponse<String> headers =
        http.send(
            HttpRequest.newBuilder(URI.create("http://" + hostPort() + "/api/clients"))
                .header("X-Padding", "p".repeat(10_000))
                .timeout(PATIENCE)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(headers.statusCode()).isEqualTo(431);
    // A body over the cap is refused from its Content-Length, before it is read (a client still
    // sending it could see the connection close before the answer, so the test sends none).
    try (Socket socket =
        new Socket(InetAddress.getLoopbackAddress(), server.adminAddress().getPort())) {
      socket.setSoTimeout((int) PATIENCE.toMillis());
      socket
          .getOutputStream()
          .write(
              ("POST /api/clients/sensor-1/revoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                      + write
                      + "\r\nContent-Length: 100000\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      String status =
          new java.io.BufferedReader(
                  new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
              .readLine();
      assertThat(status).startsWith("HTTP/1.1 413");
    }
    assertThat(stateOf("sensor-1")).isEqualTo("not revoked");
    assertThat(raw("GET", "/api/nothing-here", read).statusCode()).isEqualTo(404);
    assertThat(raw("GET", "/nothing-here", read).statusCode()).isEqualTo(404);
    HttpResponse<String> wrongMethod = raw("DELETE", "/api/clients", write);
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(wrongMethod.body()).contains("method-not-allowed");
  }

  /** A request whose answer is outside the document (unknown routes and methods). */
  private HttpResponse<String> raw(String method, String path, String bearer) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://" + hostPort() + path))
            .header("Authorization", "Bearer " + bearer)
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(PATIENCE)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void readinessSaysStoppingOnceTheListenerNoLongerTakesConnections() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean ready =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    try (AdminServer admin =
        AdminServer.start(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            null,
            new AdminServer.Backing(
                server.keystore(),
                server.liveKeystore()::snapshot,
                id -> {},
                List::of,
                (id, reason) -> false,
                new AdminFeed(dev.authgate.server.audit.AuditLog.discard(), Clock.systemUTC()),
                dev.authgate.server.audit.AuditLog.discard(),
                null,
                dev.authgate.server.defence.PenaltyPolicy.disabled(),
                () -> 0,
                Clock.systemUTC(),
                ready::get))) {
      URI readyz = URI.create("http://127.0.0.1:" + admin.address().getPort() + "/readyz");
      HttpResponse<String> up =
          http.send(
              HttpRequest.newBuilder(readyz).timeout(PATIENCE).build(),
              HttpResponse.BodyHandlers.ofString());
      CONTRACT.check("GET", "/readyz", up.statusCode(), up.body());
      assertThat(up.statusCode()).isEqualTo(200);
      ready.set(false);
      HttpResponse<String> down =
          http.send(
              HttpRequest.newBuilder(readyz).timeout(PATIENCE).build(),
              HttpResponse.BodyHandlers.ofString());
      CONTRACT.check("GET", "/readyz", down.statusCode(), down.body());
      assertThat(down.statusCode()).isEqualTo(503);
      assertThat(down.body()).contains("stopping");
    }
  }

  /** A request as a browser on some page sends it: the console's cookie and the given headers. */
  private HttpResponse<String> browser(String method, String path, String body, String... headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://" + hostPort() + path))
            .timeout(PATIENCE)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      request.headers(headers);
    }
    HttpResponse<String> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    String bare = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    if (CONTRACT.template(bare) != null) {
      CONTRACT.check(method, bare, response.statusCode(), response.body());
    }
    return response;
  }

  @Test
  void theConsolesLoginGivesAnHttpOnlyStrictCookie_andEveryRequestNeedsItsCsrfTokenToo()
      throws Exception {
    String own = "http://" + hostPort();
    HttpResponse<String> in =
        browser(
            "POST",
            "/api/session",
            "{\"token\":\"" + write + "\"}",
            "Content-Type",
            "application/json",
            "Origin",
            own,
            "Sec-Fetch-Site",
            "same-origin");
    assertThat(in.statusCode()).isEqualTo(200);
    String setCookie = in.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(setCookie)
        .startsWith("authgate_console=")
        .contains("HttpOnly", "SameSite=Strict", "Path=/");
    String cookie = setCookie.substring(0, setCookie.indexOf(';'));
    String csrf = JSON.readTree(in.body()).path("csrf").asText();

    // The cookie alone, as a page on another port of this host would have it: nothing.
    assertThat(browser("GET", "/api/session", null, "Cookie", cookie).statusCode()).isEqualTo(401);
    assertThat(browser("GET", "/api/clients", null, "Cookie", cookie).statusCode()).isEqualTo(401);
    // With the token only the console's own page holds: everything its scope allows.
    assertThat(
            JSON.readTree(
                    browser("GET", "/api/session", null, "Cookie", cookie, "X-CSRF-Token", csrf)
                        .body())
                .path("name")
                .asText())
        .isEqualTo("ci");
    assertThat(
            browser("GET", "/api/clients", null, "Cookie", cookie, "X-CSRF-Token", csrf)
                .statusCode())
        .isEqualTo(200);

    String revoke = "/api/clients/sensor-1/revoke";
    HttpResponse<String> noCsrf = browser("POST", revoke, null, "Cookie", cookie, "Origin", own);
    assertThat(noCsrf.statusCode()).isEqualTo(401);
    assertThat(noCsrf.body()).contains("\"csrf\"");
    assertThat(
            browser(
                    "POST",
                    revoke,
                    null,
                    "Cookie",
                    cookie,
                    "X-CSRF-Token",
                    csrf,
                    "Origin",
                    "http://evil.example")
                .body())
        .contains("cross-site");
    assertThat(
            browser(
                    "POST",
                    revoke,
                    null,
                    "Cookie",
                    cookie,
                    "X-CSRF-Token",
                    csrf,
                    "Sec-Fetch-Site",
                    "cross-site")
                .statusCode())
        .isEqualTo(403);
    // A change that says neither where it came from: refused too (a stolen cookie outside a
    // browser).
    assertThat(browser("POST", revoke, null, "Cookie", cookie, "X-CSRF-Token", csrf).statusCode())
        .isEqualTo(403);
    assertThat(
            browser(
                    "POST",
                    revoke,
                    null,
                    "Cookie",
                    cookie,
                    "X-CSRF-Token",
                    "A".repeat(43),
                    "Origin",
                    own)
                .statusCode())
        .isEqualTo(401);
    assertThat(stateOf("sensor-1")).isEqualTo("not revoked");

    // A cross-site login, a form's text/plain, a body that is not JSON, a wrong token.
    String login = "{\"token\":\"" + write + "\"}";
    assertThat(
            browser(
                    "POST",
                    "/api/session",
                    login,
                    "Content-Type",
                    "application/json",
                    "Origin",
                    "http://evil.example")
                .statusCode())
        .isEqualTo(403);
    assertThat(
            browser("POST", "/api/session", login, "Content-Type", "text/plain", "Origin", own)
                .statusCode())
        .isEqualTo(415);
    assertThat(
            browser("POST", "/api/session", "{", "Content-Type", "application/json", "Origin", own)
                .statusCode())
        .isEqualTo(400);
    assertThat(
            browser(
                    "POST",
                    "/api/session",
                    "{\"token\":\"aga1-nope\"}",
                    "Content-Type",
                    "application/json",
                    "Origin",
                    own)
                .statusCode())
        .isEqualTo(401);
    HttpResponse<String> forged =
        browser("GET", "/api/clients", null, "Cookie", "authgate_console=" + "x".repeat(43));
    assertThat(forged.statusCode()).isEqualTo(401);
    assertThat(forged.body()).contains("bad-session");

    HttpResponse<String> done =
        browser("POST", revoke, null, "Cookie", cookie, "X-CSRF-Token", csrf, "Origin", own);
    assertThat(done.statusCode()).isEqualTo(200);
    assertThat(stateOf("sensor-1")).isEqualTo("revoked");
    assertThat(audit("keys.revoked"))
        .singleElement()
        .satisfies(e -> assertThat(e.path("admin").asText()).isEqualTo("ci"));

    assertThat(
            browser("DELETE", "/api/session", null, "Cookie", cookie, "Origin", own).statusCode())
        .isEqualTo(401);
    assertThat(
            browser(
                    "DELETE",
                    "/api/session",
                    null,
                    "Cookie",
                    cookie,
                    "X-CSRF-Token",
                    csrf,
                    "Origin",
                    "http://evil.example")
                .statusCode())
        .isEqualTo(403);
    assertThat(
            browser(
                    "DELETE",
                    "/api/session",
                    null,
                    "Cookie",
                    cookie,
                    "X-CSRF-Token",
                    csrf,
                    "Origin",
                    own)
                .statusCode())
        .isEqualTo(200);
    assertThat(
            browser("GET", "/api/session", null, "Cookie", cookie, "X-CSRF-Token", csrf)
                .statusCode())
        .isEqualTo(401);
    assertThat(browser("GET", "/api/session", null).statusCode()).isEqualTo(401);

    List<String> reasons = new ArrayList<>();
    audit("admin.refused").forEach(e -> reasons.add(e.path("reason").asText()));
    assertThat(reasons)
        .containsExactly(
            "csrf",
            "csrf",
            "cross-site",
            "cross-site",
            "cross-site",
            "csrf",
            "cross-site",
            "malformed",
            "bad-session",
            "csrf",
            "cross-site");
    assertThat(audit("admin.login"))
        .singleElement()
        .satisfies(e -> assertThat(e.path("name").asText()).isEqualTo("ci"));
  }

  @Test
  void aRevokedTokenEndsTheConsoleSessionsItOpened() throws Exception {
    HttpResponse<String> in =
        browser(
            "POST",
            "/api/session",
            "{\"token\":\"" + read + "\"}",
            "Content-Type",
            "application/json",
            "Sec-Fetch-Site",
            "same-origin");
    String cookie = in.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
    String token = JSON.readTree(in.body()).path("csrf").asText();
    assertThat(
            browser("GET", "/api/overview", null, "Cookie", cookie, "X-CSRF-Token", token)
                .statusCode())
        .isEqualTo(200);
    server.keystore().adminTokens().revoke("viewer");
    HttpResponse<String> after =
        browser("GET", "/api/overview", null, "Cookie", cookie, "X-CSRF-Token", token);
    assertThat(after.statusCode()).isEqualTo(401);
    assertThat(after.body()).contains("revoked-token");
    // A read token's console may still log out.
    HttpResponse<String> again =
        browser(
            "POST",
            "/api/session",
            "{\"token\":\"" + write + "\"}",
            "Content-Type",
            "application/json",
            "Sec-Fetch-Site",
            "same-origin");
    String second = again.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
    String csrf = JSON.readTree(again.body()).path("csrf").asText();
    assertThat(
            browser(
                    "DELETE",
                    "/api/session",
                    null,
                    "Cookie",
                    second,
                    "X-CSRF-Token",
                    csrf,
                    "Sec-Fetch-Site",
                    "same-origin")
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void theOverviewCountsTheLastHourAndTheSessionsOpenNow() throws Exception {
    try (RawClient stranger = RawClient.connect(server.address().getPort())) {
      stranger.ping(RawClient.stranger());
    } catch (IOException refused) {
      // refused, as it should be
    }
    try (RawClient client = RawClient.connect(server.address().getPort())) {
      SecureChannel channel = client.handshake(sensor.identity());
      channel.send(new SessionMessage.Ping(1));
      channel.receive();
      await()
          .atMost(PATIENCE)
          .untilAsserted(
              () -> {
                JsonNode o = call("GET", "/api/overview", read).body();
                assertThat(o.path("sessions").path("total").asInt()).isEqualTo(1);
                assertThat(o.path("clients").path("active").asInt()).isEqualTo(1);
                long accepted = 0;
                long refused = 0;
                for (JsonNode m : o.path("minutes")) {
                  accepted += m.path("accepted").asLong();
                  refused += m.path("refused").asLong();
                }
                assertThat(accepted).isEqualTo(1);
                assertThat(refused).isEqualTo(1);
                assertThat(o.path("refused_by_reason").get(0).path("reason").asText())
                    .isEqualTo("unknown-client");
                assertThat(o.path("refused_by_source").get(0).path("source").asText())
                    .isEqualTo("127.0.0.1");
              });
    }
  }

  @Test
  void theLiveTailSendsNewAuditLinesAsServerSentEvents() throws Exception {
    HttpRequest stream =
        HttpRequest.newBuilder(
                URI.create("http://" + hostPort() + "/api/audit/stream?event=admin.refused"))
            .header("Authorization", "Bearer " + read)
            .build();
    java.util.concurrent.BlockingQueue<String> lines =
        new java.util.concurrent.LinkedBlockingQueue<>();
    java.util.concurrent.CompletableFuture<HttpResponse<java.util.stream.Stream<String>>> open =
        http.sendAsync(stream, HttpResponse.BodyHandlers.ofLines());
    HttpResponse<java.util.stream.Stream<String>> response =
        open.get(30, java.util.concurrent.TimeUnit.SECONDS);
    CONTRACT.check("GET", "/api/audit/stream", response.statusCode(), "");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
    Thread reader =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    response.body().forEach(lines::add);
                  } catch (RuntimeException closed) {
                    // the test closed the stream
                  }
                });
    try {
      call("GET", "/api/clients", null); // one refusal: the stream's event
      String data = null;
      long end = System.nanoTime() + PATIENCE.toNanos();
      while (data == null && System.nanoTime() < end) {
        String line = lines.poll(1, java.util.concurrent.TimeUnit.SECONDS);
        if (line != null && line.startsWith("data: ")) {
          data = line.substring(6);
        }
      }
      assertThat(data).isNotNull();
      JsonNode event = JSON.readTree(data);
      assertThat(event.path("event").asText()).isEqualTo("admin.refused");
      assertThat(event.path("reason").asText()).isEqualTo("no-token");
    } finally {
      response.body().close();
      reader.interrupt();
    }
  }

  @Test
  void theConsolesFilesAreServedByNameWithAStrictPolicy() throws Exception {
    HttpResponse<String> page = raw("GET", "/", read);
    assertThat(page.statusCode()).isEqualTo(200);
    String policy = page.headers().firstValue("Content-Security-Policy").orElseThrow();
    assertThat(policy)
        .contains("default-src 'none'", "script-src 'self' 'sha256-", "frame-ancestors 'none'")
        .doesNotContain("unsafe");
    assertThat(page.body()).contains("<script type=\"importmap\">");
    assertThat(raw("GET", "/vendor/preact.js", read).headers().firstValue("Content-Type"))
        .hasValue("text/javascript; charset=utf-8");
    for (String path :
        List.of("/console/../../keys", "/vendor/../app.js", "/META-INF/MANIFEST.MF", "/console/")) {
      assertThat(raw("GET", path, read).statusCode()).as(path).isIn(400, 404);
    }
    assertThat(raw("POST", "/", read).statusCode()).isEqualTo(405);
  }

  /** A POST with a JSON body and the write token. */
  private Answer post(String path, String json) throws Exception {
    HttpResponse<String> response =
        browser(
            "POST",
            path,
            json,
            "Authorization",
            "Bearer " + write,
            "Content-Type",
            "application/json");
    return new Answer(response.statusCode(), JSON.readTree(response.body()), response);
  }

  @Test
  void aMachineIsProvisionedRotatedAndLimitedThroughTheApi_theSecretShownOnceAndEveryChangeAudited()
      throws Exception {
    Answer added = post("/api/clients", "{\"client_id\":\"sensor-2\"}");
    assertThat(added.status()).isEqualTo(200);
    dev.authgate.protocol.keyfile.Credential credential =
        dev.authgate.protocol.keyfile.Credential.parse(
            dir.resolve("sensor-2.credential"), added.body().path("credential").asText());
    assertThat(credential.clientId()).isEqualTo("sensor-2");
    try (RawClient client = RawClient.connect(server.address().getPort())) {
      SecureChannel channel = client.handshake(credential.identity());
      channel.send(new SessionMessage.Ping(5));
      assertThat(channel.receive()).isEqualTo(new SessionMessage.Pong(5));
    }
    String secret = added.body().path("credential").asText();
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(dir)) {
      for (Path f : files.filter(java.nio.file.Files::isRegularFile).toList()) {
        assertThat(java.nio.file.Files.readString(f))
            .as(f.toString())
            .doesNotContain(
                secret.lines().filter(l -> l.startsWith("secret")).findFirst().orElseThrow());
      }
    }
    assertThat(post("/api/clients", "{\"client_id\":\"sensor-2\"}").status()).isEqualTo(409);
    assertThat(post("/api/clients", "{\"client_id\":\"-x\"}").status()).isEqualTo(400);
    assertThat(post("/api/clients", "{}").status()).isEqualTo(400);
    assertThat(
            browser(
                    "POST",
                    "/api/clients",
                    "client_id=x",
                    "Authorization",
                    "Bearer " + write,
                    "Content-Type",
                    "application/x-www-form-urlencoded")
                .statusCode())
        .isEqualTo(415);

    Answer rotated = post("/api/clients/sensor-2/rotate", "{\"grace\":\"1h\"}");
    assertThat(rotated.status()).isEqualTo(200);
    assertThat(rotated.body().path("key_id").asText()).isEqualTo("k2");
    assertThat(rotated.body().path("old_keys_until").asText()).isNotEmpty();
    assertThat(post("/api/clients/sensor-2/rotate", "{\"grace\":\"soon\"}").status())
        .isEqualTo(400);
    assertThat(post("/api/clients/nobody/rotate", "{}").status()).isEqualTo(404);

    Answer limited =
        post(
            "/api/clients/sensor-2/permissions",
            "{\"sessions\":\"ping,upload\",\"rooms\":\"ops\",\"quota\":\"2G\"}");
    assertThat(limited.status()).isEqualTo(200);
    assertThat(limited.body().path("access").path("sessions").toString())
        .isEqualTo("[\"ping\",\"upload\"]");
    assertThat(limited.body().path("access").path("quota").asLong()).isEqualTo(2L << 30);
    assertThat(post("/api/clients/sensor-2/permissions", "{}").status()).isEqualTo(400);
    assertThat(post("/api/clients/sensor-2/permissions", "{\"sessions\":\"fly\"}").status())
        .isEqualTo(400);
    assertThat(post("/api/clients/nobody/permissions", "{\"rooms\":\"all\"}").status())
        .isEqualTo(404);

    assertThat(post("/api/clients/sensor-2/revoke", "{}").status()).isEqualTo(200);
    assertThat(post("/api/clients/sensor-2/rotate", "{}").status()).isEqualTo(409);
    assertThat(post("/api/clients", "{\"client_id\":\"sensor-2\"}").status()).isEqualTo(409);

    assertThat(audit("keys.added"))
        .singleElement()
        .satisfies(e -> assertThat(e.path("admin").asText()).isEqualTo("ci"));
    assertThat(audit("keys.rotated"))
        .filteredOn(e -> !e.has("ok"))
        .singleElement()
        .satisfies(e -> assertThat(e.path("key_id").asText()).isEqualTo("k2"));
    assertThat(audit("keys.permissions"))
        .singleElement()
        .satisfies(e -> assertThat(e.path("sessions").asText()).isEqualTo("ping,upload"));
  }

  @Test
  void enrollmentTokensAreMadeShownOnceAndRevokedThroughTheApi() throws Exception {
    Answer made =
        post(
            "/api/tokens",
            "{\"prefix\":\"kiosk-\",\"uses\":3,\"expires\":\"2h\",\"approve\":true}");
    assertThat(made.status()).isEqualTo(200);
    EnrollmentToken token = EnrollmentToken.parse(made.body().path("token").asText());
    assertThat(made.body().path("token_id").asText()).isEqualTo(token.tokenId());
    assertThat(made.body().path("uses").asInt()).isEqualTo(3);
    assertThat(call("GET", "/api/tokens", read).body().path("tokens").toString())
        .contains(token.tokenId())
        .doesNotContain(made.body().path("token").asText());
    assertThat(post("/api/tokens", "{\"prefix\":\"a\",\"client_id\":\"b\"}").status())
        .isEqualTo(400);
    assertThat(post("/api/tokens", "{\"expires\":\"0s\"}").status()).isEqualTo(400);
    assertThat(post("/api/tokens", "{\"client_id\":\"sensor-1\"}").status()).isEqualTo(409);

    Answer revoked = post("/api/tokens/" + token.tokenId() + "/revoke", "{}");
    assertThat(revoked.status()).isEqualTo(200);
    assertThat(revoked.body().path("state").asText()).isEqualTo("revoked");
    assertThat(post("/api/tokens/0123456789abcdef/revoke", "{}").status()).isEqualTo(404);
    assertThat(audit("enroll.token_created"))
        .singleElement()
        .satisfies(e -> assertThat(e.path("admin").asText()).isEqualTo("ci"));
    assertThat(audit("enroll.token_revoked"))
        .singleElement()
        .satisfies(e -> assertThat(e.path("token_id").asText()).isEqualTo(token.tokenId()));
  }

  @Test
  void anOperatorClosesASessionWithAReasonTheMachineHears() throws Exception {
    try (RawClient client = RawClient.connect(server.address().getPort())) {
      SecureChannel channel = client.handshake(sensor.identity());
      channel.send(new SessionMessage.Ping(1));
      channel.receive();
      String id =
          call("GET", "/api/sessions", read).body().path("sessions").get(0).path("id").asText();
      assertThat(post("/api/sessions/" + id + "/close", "{}").status()).isEqualTo(400);
      assertThat(post("/api/sessions/" + id + "/close", "{\"reason\":\"a\\u001b[2J\"}").status())
          .isEqualTo(400);
      assertThat(post("/api/sessions/nope-1/close", "{\"reason\":\"maintenance\"}").status())
          .isEqualTo(404);
      Answer closed =
          post("/api/sessions/" + id + "/close", "{\"reason\":\"maintenance at 10:00\"}");
      assertThat(closed.status()).isEqualTo(200);
      assertThat(channel.receive())
          .isEqualTo(
              new SessionMessage.Close(
                  SessionMessage.Close.SHUTDOWN, "closed by an operator: maintenance at 10:00"));
    }
    assertThat(audit("admin.session_closed"))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.path("reason").asText()).isEqualTo("maintenance at 10:00");
              assertThat(e.path("admin").asText()).isEqualTo("ci");
            });
    await()
        .atMost(PATIENCE)
        .untilAsserted(
            () ->
                assertThat(audit("session.closed"))
                    .anySatisfy(
                        e ->
                            assertThat(e.path("outcome").asText())
                                .isEqualTo("closed-by-operator")));
    assertThat(stateOf("sensor-1")).isEqualTo("not revoked");
  }

  @Test
  void requestsWithoutATokenCostNoPenalty_soNoPageOrLocalUserLocksTheOperatorOut()
      throws Exception {
    server.close();
    start(
        ServerConfig.loopback(0, dir.resolve("uploads")).withDefences(Defences.defaults()),
        java.nio.file.Files.createDirectories(dir.resolve("no-lockout")));
    for (int i = 0; i < 10; i++) {
      assertThat(call("GET", "/api/clients", null).status()).isEqualTo(401);
      assertThat(call("GET", "/api/clients", "not-a-token").status()).isEqualTo(401);
    }
    assertThat(call("GET", "/api/whoami", write).status()).isEqualTo(200);
  }

  @Test
  void aRequestNamingAnotherHostIsRefused_soARebindingPageCannotReachTheApi() throws Exception {
    try (Socket socket =
        new Socket(InetAddress.getLoopbackAddress(), server.adminAddress().getPort())) {
      socket.setSoTimeout((int) PATIENCE.toMillis());
      socket
          .getOutputStream()
          .write(
              ("GET /api/whoami HTTP/1.1\r\nHost: evil.example:"
                      + server.adminAddress().getPort()
                      + "\r\nAuthorization: Bearer "
                      + write
                      + "\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      String status =
          new java.io.BufferedReader(
                  new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
              .readLine();
      assertThat(status).startsWith("HTTP/1.1 421");
    }
    assertThat(Http.loopbackHost("LOCALHOST:9351")).isTrue();
    assertThat(Http.loopbackHost("[::1]:9351")).isTrue();
    assertThat(Http.loopbackHost("127.0.0.1")).isTrue();
    assertThat(Http.loopbackHost("127.0.0.1.evil.example")).isFalse();
    assertThat(Http.loopbackHost(null)).isFalse();
  }

  @Test
  void aLiveTailEndsWhenItsTokenIsRevoked_andOneTokenHoldsAtMostFour() throws Exception {
    java.util.List<HttpResponse<java.util.stream.Stream<String>>> open = new ArrayList<>();
    try {
      for (int i = 0; i < AdminFeed.MAX_STREAMS_PER_TOKEN; i++) {
        HttpResponse<java.util.stream.Stream<String>> tail =
            http.send(
                HttpRequest.newBuilder(URI.create("http://" + hostPort() + "/api/audit/stream"))
                    .header("Authorization", "Bearer " + read)
                    .build(),
                HttpResponse.BodyHandlers.ofLines());
        assertThat(tail.statusCode()).isEqualTo(200);
        open.add(tail);
      }
      assertThat(call("GET", "/api/audit/stream", read).status()).isEqualTo(429);
      server.keystore().adminTokens().revoke("viewer");
      java.util.concurrent.CompletableFuture<Long> ended =
          java.util.concurrent.CompletableFuture.supplyAsync(() -> open.get(0).body().count());
      assertThat(ended.get(PATIENCE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
          .isPositive();
    } finally {
      open.forEach(r -> r.body().close());
    }
  }
}
