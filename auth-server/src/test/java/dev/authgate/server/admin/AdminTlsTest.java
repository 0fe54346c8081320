package dev.authgate.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.AdminToken;
import dev.authgate.protocol.keyfile.AdminTokenFile;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.server.AuthgateServer;
import dev.authgate.server.audit.AuditRotation;
import dev.authgate.server.connection.ServerConfig;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --admin-tls}: the admin port over HTTPS, from a PEM or a PKCS#12 file, checked first. */
@Tag("system")
class AdminTlsTest {
  @TempDir Path dir;

  private void run(String... command) throws Exception {
    Process p =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("tool.out").toFile())
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(dir.resolve("tool.out"))).isZero();
  }

  /** A self-signed EC certificate for 127.0.0.1 (cert.pem) and its PKCS#8 key (key.pem). */
  private void pem() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl");
    run(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "key.pem",
        "-out",
        "cert.pem",
        "-days",
        "2",
        "-subj",
        "/CN=authgate-admin",
        "-addext",
        "subjectAltName=IP:127.0.0.1");
  }

  private HttpClient trusting(Path certificate) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(certificate)) {
      trust.setCertificateEntry(
          "admin", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder()
        .sslContext(context)
        .connectTimeout(Duration.ofSeconds(30))
        .build();
  }

  private AuthgateServer serve(AdminTls tls) throws Exception {
    KeyFiles.ensurePrivateDirectory(dir.resolve("keys"));
    return AuthgateServer.builder(
            ServerConfig.loopback(0, dir.resolve("uploads")), dir.resolve("keys"))
        .environment(java.util.Map.of())
        .auditLog(dir.resolve("audit.jsonl"), AuditRotation.never())
        .admin(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .adminTls(tls)
        .start();
  }

  @Test
  void aPemCertificateServesTheApiOverHttps_withASecureCookieAndHsts() throws Exception {
    pem();
    Path both = dir.resolve("admin.pem");
    Files.writeString(
        both, Files.readString(dir.resolve("cert.pem")) + Files.readString(dir.resolve("key.pem")));
    Files.setPosixFilePermissions(both, PosixFilePermissions.fromString("rw-------"));
    try (AuthgateServer server = serve(AdminTls.load(both, null))) {
      AdminToken token = AdminToken.generate(RandomSource.secure());
      server
          .keystore()
          .adminTokens()
          .create(token, "ci", AdminTokenFile.Scope.READ, Duration.ofDays(1));
      String https = "https://127.0.0.1:" + server.adminAddress().getPort();
      HttpClient client = trusting(dir.resolve("cert.pem"));
      HttpResponse<String> whoami =
          client.send(
              HttpRequest.newBuilder(URI.create(https + "/api/whoami"))
                  .header("Authorization", "Bearer " + token.text())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(whoami.statusCode()).isEqualTo(200);
      assertThat(whoami.headers().firstValue("Strict-Transport-Security")).isPresent();
      HttpResponse<String> login =
          client.send(
              HttpRequest.newBuilder(URI.create(https + "/api/session"))
                  .header("Content-Type", "application/json")
                  .header("Sec-Fetch-Site", "same-origin")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + token.text() + "\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(login.headers().firstValue("Set-Cookie").orElseThrow())
          .contains("Secure", "HttpOnly");
      // Plain HTTP to the HTTPS port gets no answer from the API.
      assertThatThrownBy(
              () ->
                  HttpClient.newHttpClient()
                      .send(
                          HttpRequest.newBuilder(
                                  URI.create(
                                      "http://127.0.0.1:"
                                          + server.adminAddress().getPort()
                                          + "/healthz"))
                              .timeout(Duration.ofSeconds(30))
                              .build(),
                          HttpResponse.BodyHandlers.ofString())
                      .statusCode())
          .isInstanceOf(java.io.IOException.class);
    }
  }

  @Test
  void aPkcs12FileWithAPasswordFileServesToo() throws Exception {
    run(
        Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair",
        "-alias",
        "admin",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=authgate-admin",
        "-ext",
        "SAN=ip:127.0.0.1",
        "-storetype",
        "PKCS12",
        "-keystore",
        "admin.p12",
        "-storepass",
        "s3cret-pass",
        "-validity",
        "2");
    run(
        Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-exportcert",
        "-rfc",
        "-alias",
        "admin",
        "-keystore",
        "admin.p12",
        "-storepass",
        "s3cret-pass",
        "-file",
        "cert.pem");
    Files.setPosixFilePermissions(
        dir.resolve("admin.p12"), PosixFilePermissions.fromString("rw-------"));
    Files.writeString(dir.resolve("password"), "s3cret-pass\n");
    Files.setPosixFilePermissions(
        dir.resolve("password"), PosixFilePermissions.fromString("rw-------"));
    try (AuthgateServer server =
        serve(AdminTls.load(dir.resolve("admin.p12"), dir.resolve("password")))) {
      HttpResponse<String> health =
          trusting(dir.resolve("cert.pem"))
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "https://127.0.0.1:" + server.adminAddress().getPort() + "/healthz"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
    }
    Files.writeString(dir.resolve("password"), "wrong\n");
    assertThatThrownBy(() -> AdminTls.load(dir.resolve("admin.p12"), dir.resolve("password")))
        .hasMessageContaining("cannot be used")
        .hasMessageNotContaining("wrong");
  }

  @Test
  void aFileOthersCanRead_aKeyOfAnotherCertificate_orAnOldKeyFormatIsRefusedSayingWhy()
      throws Exception {
    pem();
    Path both = dir.resolve("admin.pem");
    Files.writeString(
        both, Files.readString(dir.resolve("cert.pem")) + Files.readString(dir.resolve("key.pem")));
    Files.setPosixFilePermissions(both, PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> AdminTls.load(both, null)).hasMessageContaining("chmod 600");

    String firstCert = Files.readString(dir.resolve("cert.pem"));
    pem(); // another key and certificate
    Path mixed = dir.resolve("mixed.pem");
    Files.writeString(mixed, firstCert + Files.readString(dir.resolve("key.pem")));
    Files.setPosixFilePermissions(mixed, PosixFilePermissions.fromString("rw-------"));
    assertThatThrownBy(() -> AdminTls.load(mixed, null))
        .hasMessageContaining("does not belong to the certificate");

    Path old = dir.resolve("old.pem");
    Files.writeString(
        old, firstCert + "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
    Files.setPosixFilePermissions(old, PosixFilePermissions.fromString("rw-------"));
    assertThatThrownBy(() -> AdminTls.load(old, null))
        .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");

    Path certOnly = dir.resolve("cert-only.pem");
    Files.writeString(certOnly, firstCert);
    Files.setPosixFilePermissions(certOnly, PosixFilePermissions.fromString("rw-------"));
    assertThatThrownBy(() -> AdminTls.load(certOnly, null))
        .hasMessageContaining("must hold a CERTIFICATE and a PRIVATE KEY");
    Files.createSymbolicLink(dir.resolve("link.pem"), mixed);
    assertThatThrownBy(() -> AdminTls.load(dir.resolve("link.pem"), null))
        .hasMessageContaining("not a regular file");
    assertThat(List.of(both, mixed)).allMatch(Files::exists);
  }
}
