package dev.authgate.client.download;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.client.AuthgateClient;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.protocol.session.FileListing;
import dev.authgate.protocol.session.GetEnd;
import dev.authgate.protocol.session.GetFile;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Published files against a real server: who sees what, what arrives, and what never appears under
 * a file's name (a partial, a corrupt copy, a file replaced while it was sent).
 */
class DownloadTest {
  @TempDir Path dir;
  private TestServer server;
  private Path published;
  private Credential m1;
  private Credential m2;
  private Path out;

  @BeforeEach
  void start() throws IOException {
    server = TestServer.start(dir.resolve("server"));
    m1 = server.provision("m1");
    m2 = server.provision("m2");
    published = dir.resolve("server/published"); // beside the uploads directory
    out = Files.createDirectories(dir.resolve("out"));
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  private AuthgateClient client(Credential credential) {
    return AuthgateClient.of(new ServerAddress("127.0.0.1", server.port()), credential);
  }

  private byte[] publish(String owner, String name, int size) throws IOException {
    byte[] bytes = new byte[size];
    new Random(name.hashCode() + size).nextBytes(bytes);
    Path dirOf = Files.createDirectories(published.resolve(owner));
    Path staged = Files.write(dirOf.resolve("." + name + ".new"), bytes);
    Files.move(staged, dirOf.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    return bytes;
  }

  private static List<String> names(List<FileListing.Entry> entries) {
    return entries.stream().map(FileListing.Entry::name).toList();
  }

  private List<String> outNames() throws IOException {
    try (Stream<Path> files = Files.list(out)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aFilePublishedForOneMachineIsListedAndFetchedByItAndByNoOther() throws Exception {
    byte[] config = publish("m1", "agent.conf", 5_000);

    List<FileListing.Entry> listed = client(m1).list();
    assertThat(names(listed)).containsExactly("agent.conf");
    assertThat(listed.getFirst().size()).isEqualTo(5_000);
    assertThat(listed.getFirst().shared()).isFalse();
    DownloadOutcome fetched = client(m1).get("agent.conf", out, false);
    assertThat(fetched.status()).isEqualTo(DownloadOutcome.Status.FETCHED);
    assertThat(Files.readAllBytes(out.resolve("agent.conf"))).isEqualTo(config);
    assertThat(fetched.sha256()).isEqualTo(listed.getFirst().sha256());
    assertThat(Files.getPosixFilePermissions(out.resolve("agent.conf")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));

    assertThat(client(m2).list()).isEmpty();
    DownloadOutcome refused = client(m2).get("agent.conf", out.resolve("..").normalize(), false);
    assertThat(refused.status()).isEqualTo(DownloadOutcome.Status.REFUSED);
    assertThat(refused.reason()).isEqualTo("not-found");
    assertThat(server.awaitEvent("download.failed").path("client_id").asText()).isEqualTo("m2");
    assertThat(server.awaitEvent("download.sent").path("sha256").asText()).hasSize(64);
  }

  @Test
  void aSharedFileReachesEveryMachineAndAMachinesOwnFileOfTheSameNameWins() throws Exception {
    byte[] shared = publish("_all", "ca.pem", 2_000);
    byte[] own = publish("m1", "ca.pem", 3_000);
    publish("_all", "firmware.bin", 10_000);

    assertThat(client(m1).list())
        .extracting(e -> e.name() + (e.shared() ? " shared" : " own"))
        .containsExactly("ca.pem own", "firmware.bin shared");
    assertThat(names(client(m2).list())).containsExactly("ca.pem", "firmware.bin");

    client(m1).get("ca.pem", out, false);
    assertThat(Files.readAllBytes(out.resolve("ca.pem"))).isEqualTo(own);
    Path m2out = Files.createDirectories(dir.resolve("m2out"));
    client(m2).get("ca.pem", m2out, false);
    assertThat(Files.readAllBytes(m2out.resolve("ca.pem"))).isEqualTo(shared);
  }

  @Test
  void dotfilesLinksAndSubdirectoriesAreNotPublishedAndANewFileNeedsNoRestart() throws Exception {
    publish("m1", "visible.txt", 10);
    Files.writeString(published.resolve("m1/.being-written"), "half");
    Files.createSymbolicLink(published.resolve("m1/link"), dir.resolve("server/keys"));
    Files.createDirectories(published.resolve("m1/sub"));
    Files.writeString(published.resolve("m1/sub/inner.txt"), "no");

    assertThat(names(client(m1).list())).containsExactly("visible.txt");
    assertThat(client(m1).get("link", out, false).reason()).isEqualTo("not-found");

    publish("m1", "later.txt", 20);
    assertThat(names(client(m1).list())).containsExactly("later.txt", "visible.txt");
  }

  @Test
  void aSharedDirectoryThatIsALinkToTheKeystoreServesNothing() throws Exception {
    Files.createDirectories(published);
    Files.createSymbolicLink(published.resolve("_all"), Path.of("../keys"));
    assertThat(dir.resolve("server/keys/m1.keys")).exists();

    assertThat(client(m1).list()).isEmpty();
    assertThat(client(m1).get("m1.keys", out, false).reason()).isEqualTo("not-found");
    assertThat(outNames()).isEmpty();
  }

  @Test
  void aClientDirectoryThatIsALinkElsewhereServesNothing() throws Exception {
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
    Files.writeString(elsewhere.resolve("hostname"), "secret-host\n");
    Files.createDirectories(published);
    Files.createSymbolicLink(published.resolve("m1"), elsewhere);
    publish("_all", "shared.txt", 5);

    assertThat(names(client(m1).list())).containsExactly("shared.txt");
    assertThat(client(m1).get("hostname", out, false).reason()).isEqualTo("not-found");
    assertThat(outNames()).isEmpty();
  }

  @Test
  void aPublishedTreeThatResolvesIntoTheKeystoreIsRefusedWhole() throws Exception {
    server.close();
    Path keys = dir.resolve("server/keys");
    Files.createDirectories(dir.resolve("pub-root"));
    Files.createSymbolicLink(dir.resolve("pub-root/link"), keys);
    server =
        TestServer.withKeys(
            dir.resolve("server2"),
            keys,
            ServerConfig.loopback(0, dir.resolve("server2/uploads"))
                .withPublished(dir.resolve("pub-root/link")));
    // a client named like a directory beside its key files would otherwise be served them
    Files.createDirectories(keys.resolve("m1"));
    Files.writeString(keys.resolve("m1/x.txt"), "inside the keystore");

    // an error on the server's side, not "nothing is published": the client is told, not misled
    assertThatThrownBy(() -> client(m1).list())
        .isInstanceOfSatisfying(
            ListRefusedException.class, e -> assertThat(e.reason()).isEqualTo("storage-error"))
        .hasMessage("the server cannot read its published files now (its audit log says why)");
    assertThat(client(m1).get("x.txt", out, false).reason()).isEqualTo("storage-error");
    assertThat(
            server
                .awaitEvent(
                    "download.failed", e -> e.path("reason").asText().equals("storage-error"))
                .path("detail")
                .asText())
        .contains("overlaps the keystore");
    assertThat(outNames()).isEmpty();
  }

  @Test
  void namesThatLeaveTheClientsViewAreRefusedByTheServer() throws Exception {
    publish("m2", "secret.txt", 10);
    Files.createDirectories(published.resolve("m1"));
    try (VerifiedConnection connection = client(m1).connect()) {
      for (String name : List.of("../m2/secret.txt", "/etc/passwd", "..", ".", "a\\b", "")) {
        connection.channel().send(new GetFile(name, 0, new byte[32], false, new byte[32]));
        SessionMessage reply = connection.channel().receive();
        assertThat(reply).as(name).isInstanceOf(GetEnd.class);
        assertThat(((GetEnd) reply).status()).as(name).isEqualTo(GetEnd.Status.REFUSED);
        assertThat(((GetEnd) reply).reason()).as(name).isIn("bad-name", "not-found");
      }
      connection.channel().send(new GetFile(".hidden", 0, new byte[32], false, new byte[32]));
      assertThat(((GetEnd) connection.channel().receive()).reason()).isEqualTo("not-found");
    }
    assertThatThrownBy(() -> client(m1).get("../m2/secret.txt", out, false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(outNames()).isEmpty();
  }

  @Test
  void aDownloadCutMidwayLeavesNothingUnderTheNameAndResumesByteIdentical() throws Exception {
    byte[] image = publish("m1", "image.bin", 20 << 20);
    try (VerifiedConnection connection = client(m1).connect()) {
      Downloader cut =
          new Downloader(
              connection,
              new DownloadListener() {
                @Override
                public void started(String name, long size, long offset) {}

                @Override
                public void advanced(long position) {
                  if (position >= 3 << 20) {
                    try {
                      connection.abort(); // as a killed process would
                    } catch (IOException e) {
                      throw new UncheckedIOException(e);
                    }
                  }
                }

                @Override
                public void ended(DownloadOutcome outcome) {}
              });
      assertThatThrownBy(() -> cut.get("image.bin", out, true, false))
          .isInstanceOf(IOException.class);
    }
    assertThat(out.resolve("image.bin")).doesNotExist();
    assertThat(Files.size(Downloader.stagingFile(out, "image.bin")))
        .isGreaterThanOrEqualTo(3 << 20);

    DownloadOutcome resumed = client(m1).get("image.bin", out, false);
    assertThat(resumed.status()).isEqualTo(DownloadOutcome.Status.FETCHED);
    assertThat(resumed.resumedFrom()).isGreaterThanOrEqualTo(3 << 20);
    assertThat(Files.readAllBytes(out.resolve("image.bin"))).isEqualTo(image);
    assertThat(outNames()).containsExactly("image.bin");
    assertThat(server.awaitEvent("download.sent").path("resumed_from").asLong())
        .isEqualTo(resumed.resumedFrom());
  }

  @Test
  void aStagingFileOfAnotherVersionIsNotSplicedOnButStartedOver() throws Exception {
    publish("m1", "data.bin", 1 << 20);
    Files.write(Downloader.stagingFile(out, "data.bin"), new byte[100_000]); // not its prefix
    byte[] current = Files.readAllBytes(published.resolve("m1/data.bin"));

    DownloadOutcome outcome = client(m1).get("data.bin", out, false);

    assertThat(outcome.status()).isEqualTo(DownloadOutcome.Status.FETCHED);
    assertThat(outcome.resumedFrom()).isZero();
    assertThat(Files.readAllBytes(out.resolve("data.bin"))).isEqualTo(current);
  }

  @Test
  void aStagingFileThatIsAPlantedLinkIsRemovedNotFollowed() throws Exception {
    byte[] current = publish("m1", "data.bin", 100_000);
    // A file of the victim's that happens to start like the download: followed, a resume would
    // write the rest of the download into it.
    byte[] precious = java.util.Arrays.copyOf(current, 1_000);
    Path victim = Files.write(dir.resolve("victim.bin"), precious);
    Files.createSymbolicLink(Downloader.stagingFile(out, "data.bin"), victim);

    DownloadOutcome outcome = client(m1).get("data.bin", out, false);

    assertThat(outcome.status()).isEqualTo(DownloadOutcome.Status.FETCHED);
    assertThat(outcome.resumedFrom()).isZero();
    assertThat(Files.readAllBytes(out.resolve("data.bin"))).isEqualTo(current);
    assertThat(Files.readAllBytes(victim)).isEqualTo(precious);
    assertThat(Files.isSymbolicLink(out.resolve("data.bin"))).isFalse();
  }

  @Test
  void aFileReplacedOnTheServerWhileItIsSentIsNotStored() throws Exception {
    publish("m1", "bundle.tar", 48 << 20);
    Path old = out.resolve("bundle.tar");
    Files.writeString(old, "the copy from last week");
    try (VerifiedConnection connection = client(m1).connect()) {
      boolean[] replaced = {false};
      Downloader downloader =
          new Downloader(
              connection,
              new DownloadListener() {
                @Override
                public void started(String name, long size, long offset) {}

                @Override
                public void advanced(long position) {
                  if (!replaced[0]) {
                    replaced[0] = true;
                    try {
                      publish("m1", "bundle.tar", 1_000);
                    } catch (IOException e) {
                      throw new UncheckedIOException(e);
                    }
                  }
                }

                @Override
                public void ended(DownloadOutcome outcome) {}
              });
      DownloadOutcome outcome = downloader.get("bundle.tar", out, true, false);

      assertThat(outcome.status()).isEqualTo(DownloadOutcome.Status.REFUSED);
      assertThat(outcome.reason()).isEqualTo("changed");
      assertThat(outcome.describe()).contains("changed on the server").contains("fetch it again");
    }
    assertThat(old).hasContent("the copy from last week");
    assertThat(outNames()).containsExactly("bundle.tar");
    assertThat(server.awaitEvent("download.failed").path("reason").asText()).isEqualTo("changed");
  }

  @Test
  void ifChangedTransfersNothingWhenTheLocalCopyMatchesAndTheNewVersionWhenItDoesNot()
      throws Exception {
    publish("m1", "agent.conf", 100_000);
    assertThat(client(m1).get("agent.conf", out, true).status())
        .isEqualTo(DownloadOutcome.Status.FETCHED);

    DownloadOutcome again = client(m1).get("agent.conf", out, true);
    assertThat(again.status()).isEqualTo(DownloadOutcome.Status.UNCHANGED);
    assertThat(again.describe()).startsWith("unchanged agent.conf: 100000 bytes, sha256 ");
    assertThat(server.awaitEvent("download.skipped").path("reason").asText())
        .isEqualTo("unchanged");
    // (the second session's end is audited after its client has its answer: wait for it)
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(60))
        .until(() -> server.events("session.closed").size() >= 2);
    assertThat(
            server.events("session.closed").stream()
                .mapToLong(e -> e.path("bytes_out").asLong())
                .min()
                .orElseThrow())
        .as("the unchanged fetch sent no file data")
        .isLessThan(1_000);

    byte[] next = publish("m1", "agent.conf", 100_001);
    assertThat(client(m1).get("agent.conf", out, true).status())
        .isEqualTo(DownloadOutcome.Status.FETCHED);
    assertThat(Files.readAllBytes(out.resolve("agent.conf"))).isEqualTo(next);
  }

  @Test
  void aClientThatMayNotDownloadIsRefusedAndAudited() throws Exception {
    publish("m1", "agent.conf", 10);
    server
        .keystore()
        .settings()
        .setPermissions(
            "m1",
            p ->
                new Permissions(
                    EnumSet.of(Permissions.SessionKind.UPLOAD), null, null, null, null));
    server.reloadKeys();

    DownloadOutcome refused = client(m1).get("agent.conf", out, false);
    assertThat(refused.reason()).isEqualTo("not-permitted");
    assertThatThrownBy(() -> client(m1).list())
        .isInstanceOf(ProtocolException.class)
        .satisfies(
            e -> assertThat(((ProtocolException) e).reason()).isEqualTo(Reason.NOT_PERMITTED));
    assertThat(outNames()).isEmpty();
  }

  @Test
  void manyFilesAreListedAcrossSeveralListings() throws Exception {
    for (int i = 0; i < FileListing.MAX_ENTRIES + 44; i++) {
      publish("_all", String.format("f%04d", i), 1);
    }

    List<FileListing.Entry> listed = client(m2).list();

    assertThat(listed).hasSize(FileListing.MAX_ENTRIES + 44);
    assertThat(names(listed)).isSorted();
  }
}
