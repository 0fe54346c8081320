package dev.authgate.server.keystore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.AdminToken;
import dev.authgate.protocol.keyfile.AdminTokenFile;
import dev.authgate.protocol.keyfile.AdminTokenFile.Scope;
import dev.authgate.protocol.keyfile.KeyFileException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Admin API tokens as the keystore keeps them: digests only, one file each, checked per request.
 */
class AdminTokensTest {
  @TempDir Path dir;
  final Moving clock = new Moving();

  /** A clock the test moves by hand. */
  static final class Moving extends java.time.Clock {
    volatile Instant now = Instant.parse("2026-12-08T10:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public java.time.Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private AdminTokens tokens() {
    return new KeystoreDirectory(dir.resolve("keys"), clock, RandomSource.secure()).adminTokens();
  }

  private static AdminToken fresh() {
    return AdminToken.generate(RandomSource.secure());
  }

  @Test
  void onlyTheDigestIsKept_inAPrivateFileOfAPrivateDirectory() throws IOException {
    AdminToken token = fresh();
    tokens().create(token, "ci", Scope.WRITE, Duration.ofDays(90));

    Path file = tokens().directory().resolve(token.tokenId() + ".token");
    String text = Files.readString(file);
    assertThat(text).doesNotContain(token.text().substring(22));
    assertThat(text).contains("name ci", "scope write", "expires 2027-03-08T10:00:00Z");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokens().directory())))
        .isEqualTo("rwx------");
    assertThat(tokens().check(token.text()).accepted()).isTrue();
    assertThat(tokens().check("  " + token.text() + "\n").accepted()).isTrue();
  }

  @Test
  void eachWrongTokenIsRefusedForItsOwnReason() throws IOException {
    AdminToken token = fresh();
    tokens().create(token, "ci", Scope.READ, Duration.ofHours(1));

    assertThat(tokens().check("aga1-nope").refusal()).isEqualTo(AdminTokens.Refusal.MALFORMED);
    assertThat(tokens().check(fresh().text()).refusal()).isEqualTo(AdminTokens.Refusal.UNKNOWN);
    byte[] other = token.secret();
    other[0] ^= 1;
    AdminTokens.Check wrong = tokens().check(new AdminToken(token.tokenId(), other).text());
    assertThat(wrong.refusal()).isEqualTo(AdminTokens.Refusal.BAD_SECRET);
    assertThat(wrong.tokenId()).isEqualTo(token.tokenId());

    clock.advance(Duration.ofHours(1));
    assertThat(tokens().check(token.text()).refusal()).isEqualTo(AdminTokens.Refusal.EXPIRED);
    tokens().revoke("ci");
    assertThat(tokens().check(token.text()).refusal()).isEqualTo(AdminTokens.Refusal.REVOKED);
  }

  @Test
  void aNameNamesOneLiveToken_andIsFreeAgainOnceRevoked() throws IOException {
    AdminToken first = fresh();
    tokens().create(first, "ci", Scope.WRITE, Duration.ofDays(1));
    assertThatThrownBy(() -> tokens().create(fresh(), "ci", Scope.READ, Duration.ofDays(1)))
        .hasMessageContaining("an admin token named 'ci' exists");
    tokens().revoke("ci");
    AdminToken second = fresh();
    tokens().create(second, "ci", Scope.READ, Duration.ofDays(1));

    assertThat(tokens().find("ci").tokenId()).isEqualTo(second.tokenId());
    assertThat(tokens().find(first.tokenId()).revoked()).isNotNull();
    assertThat(tokens().list()).extracting(AdminTokenFile::name).containsExactly("ci", "ci");
    assertThatThrownBy(() -> tokens().revoke("nobody")).isInstanceOf(KeyFileException.class);
    assertThatThrownBy(() -> tokens().create(fresh(), "-x", Scope.READ, Duration.ofDays(1)))
        .hasMessageContaining("--name must be");
    assertThatThrownBy(() -> tokens().create(fresh(), "x", Scope.READ, Duration.ZERO))
        .hasMessageContaining("--expires must be positive");
  }

  @Test
  void twoOperatorsCreatingOneNameAtOnceGetOneToken() throws Exception {
    tokens().directory(); // the keystore directory is made by the first create
    Files.createDirectories(dir.resolve("keys"));
    Files.setPosixFilePermissions(
        dir.resolve("keys"), PosixFilePermissions.fromString("rwx------"));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 20; round++) {
        String name = "ci-" + round;
        CyclicBarrier start = new CyclicBarrier(2);
        List<Future<Boolean>> made = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
          made.add(
              pool.submit(
                  () -> {
                    start.await();
                    try {
                      tokens().create(fresh(), name, Scope.READ, Duration.ofDays(1));
                      return true;
                    } catch (IllegalArgumentException taken) {
                      return false;
                    }
                  }));
        }
        assertThat(made.get(0).get() ^ made.get(1).get()).as("round %d", round).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aTokenFileThatIsALinkOrOpenToOthersOrDamagedIsNeverUsed() throws IOException {
    AdminToken linked = fresh();
    tokens().create(linked, "a", Scope.WRITE, Duration.ofDays(1));
    Path file = tokens().directory().resolve(linked.tokenId() + ".token");
    Path elsewhere = dir.resolve("elsewhere.token");
    Files.move(file, elsewhere);
    Files.createSymbolicLink(file, elsewhere);
    assertThat(tokens().check(linked.text()).refusal()).isEqualTo(AdminTokens.Refusal.UNKNOWN);

    AdminToken open = fresh();
    tokens().create(open, "b", Scope.WRITE, Duration.ofDays(1));
    Path openFile = tokens().directory().resolve(open.tokenId() + ".token");
    Files.setPosixFilePermissions(openFile, PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(tokens().check(open.text()).refusal()).isEqualTo(AdminTokens.Refusal.UNKNOWN);

    AdminToken damaged = fresh();
    tokens().create(damaged, "c", Scope.WRITE, Duration.ofDays(1));
    Path damagedFile = tokens().directory().resolve(damaged.tokenId() + ".token");
    Files.writeString(
        damagedFile,
        Files.readString(damagedFile).replace("scope write", "scope root"),
        StandardCharsets.UTF_8);
    assertThat(tokens().check(damaged.text()).refusal()).isEqualTo(AdminTokens.Refusal.UNKNOWN);

    // A file named for one id holding another's digest (a copy) is not that token.
    AdminToken original = fresh();
    tokens().create(original, "d", Scope.WRITE, Duration.ofDays(1));
    AdminToken copy = new AdminToken("0123456789abcdef", original.secret());
    Files.copy(
        tokens().directory().resolve(original.tokenId() + ".token"),
        tokens().directory().resolve("0123456789abcdef.token"));
    assertThat(tokens().check(copy.text()).accepted()).isFalse();
    assertThat(tokens().list()).extracting(AdminTokenFile::name).containsExactly("d");
  }

  @Test
  void theTokenTextParsesBackAndNeverShowsItsSecret() {
    AdminToken token = fresh();
    assertThat(AdminToken.parse(token.text())).isEqualTo(token);
    assertThat(token.toString()).doesNotContain(token.text().substring(22));
    assertThatThrownBy(() -> AdminToken.parse("aga1-" + "g".repeat(16) + "-" + "A".repeat(43)))
        .hasMessageNotContaining("gggg")
        .hasMessageContaining("not an admin token");
    assertThat(token.matches(token.digest())).isTrue();
    assertThat(new AdminToken("0123456789abcdef", token.secret()).matches(token.digest()))
        .isFalse();
  }
}
