package dev.authgate.server.keystore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.crypto.Verifier;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.TokenFile;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two writers of one keystore: the {@code keys} commands and any number of servers change token and
 * client files at the same instant, and no change undoes another's. Each "process" here is its own
 * {@link KeystoreDirectory} on the shared path; {@link #theLockExcludesAnotherProcess} and {@link
 * #twoProcessesEnrollingOnOneTokenEnrollExactlyItsUses} use real child JVMs for the part only a
 * second process can show.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@Tag("system")
class KeystoreRaceTest {
  @TempDir Path dir;

  private KeystoreDirectory process() {
    return new KeystoreDirectory(dir.resolve("keys"), Clock.systemUTC(), RandomSource.secure());
  }

  private static Verifier freshVerifier() {
    return ScramKeys.fromSaltedPassword(RandomSource.secure().bytes(32)).verifier();
  }

  @Test
  void aTokenRevokedWhileFourMachinesEnrollStaysRevokedAndEnrollsNobodyAfterwards()
      throws Exception {
    process().add("seed");
    ExecutorService threads = Executors.newFixedThreadPool(4);
    int before = 0;
    try {
      for (int round = 0; round < 50; round++) {
        before += raceOneRevoke(round, threads);
      }
    } finally {
      threads.shutdownNow();
    }
    System.out.printf(
        "revoke raced against 4 enrolling threads, 50 rounds: %d enrolled before the revokes, 0"
            + " after%n",
        before);
  }

  /** One round; returns how many machines enrolled before the revoke. */
  private int raceOneRevoke(int round, ExecutorService threads) throws Exception {
    String tokenId =
        process()
            .enrollmentTokens()
            .create(Duration.ofHours(1), 100_000, false, null, null)
            .tokenId();
    AtomicBoolean revokeReturned = new AtomicBoolean();
    AtomicInteger enrolledAfterRevoke = new AtomicInteger();
    AtomicInteger enrolled = new AtomicInteger();
    CountDownLatch someEnrolled = new CountDownLatch(4);
    List<Future<?>> machines = new ArrayList<>();
    for (int m = 0; m < 4; m++) {
      String prefix = "r" + round + "m" + m + "-";
      machines.add(
          threads.submit(
              () -> {
                KeystoreDirectory server = process();
                for (int i = 0; i < 2_000; i++) {
                  boolean afterRevoke = revokeReturned.get();
                  try {
                    server.enrollmentTokens().enroll(tokenId, prefix + i, freshVerifier());
                    enrolled.incrementAndGet();
                    if (afterRevoke) {
                      enrolledAfterRevoke.incrementAndGet();
                    }
                  } catch (EnrollRefused e) {
                    assertThat(e.reason()).isEqualTo("token-revoked");
                    if (afterRevoke) {
                      return null;
                    }
                  }
                  someEnrolled.countDown();
                }
                return null;
              }));
    }
    assertThat(someEnrolled.await(1, TimeUnit.MINUTES)).isTrue();
    TokenFile revoked = process().enrollmentTokens().revoke(tokenId);
    revokeReturned.set(true);
    for (Future<?> machine : machines) {
      machine.get(1, TimeUnit.MINUTES);
    }

    assertThat(revoked.revoked()).isNotNull();
    assertThat(enrolledAfterRevoke).hasValue(0);
    TokenFile onDisk = process().enrollmentTokens().read(tokenId).orElseThrow();
    assertThat(onDisk.revoked()).as("round %d", round).isNotNull();
    assertThat(onDisk.used()).as("every enrollment counted once").isEqualTo(enrolled.get());
    try (Stream<Path> files = Files.list(dir.resolve("keys"))) {
      long clientFiles =
          files.filter(f -> f.getFileName().toString().startsWith("r" + round + "m")).count();
      assertThat(clientFiles).isEqualTo(enrolled.get());
    }
    return enrolled.get();
  }

  @Test
  void threeServersAndTwelveMachinesRacingOnASingleUseTokenEnrollExactlyOne() throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(12);
    try {
      for (int round = 0; round < 50; round++) {
        String tokenId =
            process()
                .enrollmentTokens()
                .create(Duration.ofHours(1), 1, false, null, null)
                .tokenId();
        List<KeystoreDirectory> servers = List.of(process(), process(), process());
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Boolean>> machines = new ArrayList<>();
        for (int m = 0; m < 12; m++) {
          KeystoreDirectory server = servers.get(m % 3);
          String id = "s" + round + "-" + m;
          machines.add(
              threads.submit(
                  () -> {
                    start.await();
                    try {
                      server.enrollmentTokens().enroll(tokenId, id, freshVerifier());
                      return true;
                    } catch (EnrollRefused e) {
                      assertThat(e.reason()).isEqualTo("token-used");
                      return false;
                    }
                  }));
        }
        start.countDown();
        int enrolled = 0;
        for (Future<Boolean> machine : machines) {
          enrolled += machine.get(1, TimeUnit.MINUTES) ? 1 : 0;
        }
        assertThat(enrolled).as("round %d", round).isEqualTo(1);
        assertThat(process().enrollmentTokens().read(tokenId).orElseThrow().used()).isEqualTo(1);
      }
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void theLockExcludesAnotherProcess() throws Exception {
    process().add("seed");
    Process holder = child(LockHolder.class, dir.resolve("keys").toString());
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("locked");

      assertThatThrownBy(
              () -> KeystoreLock.holding(dir.resolve("keys"), Duration.ofMillis(300), () -> 1))
          .isInstanceOf(KeyFileException.class)
          .hasMessageContaining("being changed by another process")
          .hasMessageContaining(dir.resolve("keys/.lock").toString());

      holder.getOutputStream().close(); // the holder releases and exits
      assertThat(holder.waitFor(1, TimeUnit.MINUTES)).isTrue();
      assertThat(KeystoreLock.holding(dir.resolve("keys"), Duration.ofMinutes(1), () -> 2))
          .isEqualTo(2);
    } finally {
      holder.destroyForcibly();
    }
  }

  @Test
  void twoProcessesEnrollingOnOneTokenEnrollExactlyItsUses() throws Exception {
    process().add("seed");
    // 3 rounds in the suite (a JVM start each); -Dauthgate.race.rounds=50 for a measurement.
    int rounds = Integer.getInteger("authgate.race.rounds", 3);
    for (int round = 0; round < rounds; round++) {
      EnrollmentToken token =
          process().enrollmentTokens().create(Duration.ofHours(1), 5, false, null, null);
      Process a =
          child(EnrollingProcess.class, dir.resolve("keys").toString(), token.tokenId(), "a");
      Process b =
          child(EnrollingProcess.class, dir.resolve("keys").toString(), token.tokenId(), "b");
      int enrolled = enrolledBy(a) + enrolledBy(b);

      assertThat(enrolled).as("round %d", round).isEqualTo(5);
      assertThat(process().enrollmentTokens().read(token.tokenId()).orElseThrow().used())
          .isEqualTo(5);
    }
    System.out.printf(
        "two processes x 20 attempts on a 5-use token, %d rounds: exactly 5 enrolled each round%n",
        rounds);
  }

  @Test
  void aDeniedMachineIsNeverSeenActiveByAReloadInBetween() throws Exception {
    process().add("seed");
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger seenActive = new AtomicInteger();
    AtomicInteger reloads = new AtomicInteger();
    Thread reloader =
        Thread.ofPlatform()
            .start(
                () -> {
                  while (!done.get()) {
                    try {
                      process()
                          .load()
                          .clients()
                          .values()
                          .forEach(
                              c -> {
                                boolean active =
                                    c.keys().stream().anyMatch(k -> k.revoked() == null);
                                if (c.clientId().startsWith("d-") && active && !c.isPending()) {
                                  seenActive.incrementAndGet();
                                }
                              });
                      reloads.incrementAndGet();
                    } catch (KeyFileException e) {
                      throw new IllegalStateException(e);
                    }
                  }
                });
    try {
      for (int i = 0; i < 100; i++) {
        String tokenId =
            process().enrollmentTokens().create(Duration.ofHours(1), 1, true, null, null).tokenId();
        process().enrollmentTokens().enroll(tokenId, "d-" + i, freshVerifier());
        process().enrollmentTokens().deny("d-" + i);
      }
    } finally {
      done.set(true);
      reloader.join();
    }
    assertThat(reloads.get()).isPositive();
    assertThat(seenActive).hasValue(0);
  }

  @Test
  void aLockFileMadeByRootBelongsToTheKeystoresOwner() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        "root".equals(System.getProperty("user.name")), "only root can make a file for another");
    Path keys = Files.createDirectories(dir.resolve("service-keys"));
    Files.setAttribute(keys, "unix:uid", 65534, java.nio.file.LinkOption.NOFOLLOW_LINKS);

    KeystoreLock.holding(keys, () -> null);

    assertThat(
            Files.getAttribute(
                keys.resolve(KeystoreLock.FILE_NAME),
                "unix:uid",
                java.nio.file.LinkOption.NOFOLLOW_LINKS))
        .isEqualTo(65534);
  }

  private static int enrolledBy(Process process) throws Exception {
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(1, TimeUnit.MINUTES)).isTrue();
    assertThat(process.exitValue())
        .as(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
        .isZero();
    return Integer.parseInt(out.strip());
  }

  private static Process child(Class<?> main, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(List.of(args));
    return new ProcessBuilder(command).start();
  }

  /** A second process holding the keystore lock until its stdin closes. */
  static final class LockHolder {
    public static void main(String[] args) throws Exception {
      KeystoreLock.holding(
          Path.of(args[0]),
          () -> {
            System.out.println("locked");
            System.out.flush();
            System.in.readAllBytes();
            return null;
          });
    }
  }

  /** A second server: 20 enrollments on one token as fast as it can; prints how many succeeded. */
  static final class EnrollingProcess {
    public static void main(String[] args) throws Exception {
      KeystoreDirectory server =
          new KeystoreDirectory(Path.of(args[0]), Clock.systemUTC(), RandomSource.secure());
      int enrolled = 0;
      for (int i = 0; i < 20; i++) {
        try {
          server
              .enrollmentTokens()
              .enroll(args[1], args[2] + "-" + args[1] + "-" + i, freshVerifier());
          enrolled++;
        } catch (EnrollRefused e) {
          if (!e.reason().equals("token-used")) {
            throw new AssertionError(e.reason());
          }
        }
      }
      System.out.println(enrolled);
    }
  }
}
