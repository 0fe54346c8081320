package dev.authgate.server.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import dev.authgate.protocol.crypto.Digests;
import dev.authgate.protocol.session.UploadBegin;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The store on a real file system (and on a size-capped in-memory one for disk-full). */
class UploadStoreTest {
  @TempDir Path dir;
  Path root;
  UploadStore store;
  final byte[] content = randomBytes(700_000);

  @BeforeEach
  void open() throws IOException {
    root = dir.resolve("uploads");
    store =
        UploadStore.open(
            new UploadLimits(root, 1_000_000, 2_000_000, Duration.ofHours(1)), Clock.systemUTC());
  }

  @org.junit.jupiter.api.AfterEach
  void close() throws IOException {
    store.close();
  }

  static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    new Random(n).nextBytes(bytes);
    return bytes;
  }

  private static UploadBegin fresh(String name, long size) {
    return new UploadBegin(name, size, false, false);
  }

  private static void writeInChunks(PartialUpload upload, byte[] bytes, int from, int to)
      throws UploadRefused {
    for (int i = from; i < to; i += 65536) {
      upload.write(Arrays.copyOfRange(bytes, i, Math.min(to, i + 65536)));
    }
  }

  private List<String> filesIn(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void storesAFileWhoseSizeAndHashMatch() throws Exception {
    PartialUpload upload = store.begin("sensor-1", fresh("log.txt", content.length));
    writeInChunks(upload, content, 0, content.length);
    byte[] sha = upload.finish(Digests.sha256(content), false);

    assertThat(sha).isEqualTo(Digests.sha256(content));
    assertThat(Files.readAllBytes(root.resolve("sensor-1/log.txt"))).isEqualTo(content);
    assertThat(filesIn(root.resolve("sensor-1"))).containsExactly("log.txt");
    assertThat(Files.getPosixFilePermissions(root.resolve("sensor-1/log.txt")))
        .hasToString("[OWNER_READ, OWNER_WRITE]");
  }

  @Test
  void aHashMismatchLeavesNothing() throws Exception {
    PartialUpload upload = store.begin("sensor-1", fresh("log.txt", content.length));
    writeInChunks(upload, content, 0, content.length);
    byte[] wrong = Digests.sha256(new byte[1]);

    assertThatThrownBy(() -> upload.finish(wrong, false))
        .isInstanceOf(UploadRefused.class)
        .extracting(e -> ((UploadRefused) e).reason())
        .isEqualTo("hash-mismatch");
    assertThat(filesIn(root.resolve("sensor-1"))).isEmpty();
  }

  @Test
  void tooFewBytesLeaveNothing() throws Exception {
    PartialUpload upload = store.begin("sensor-1", fresh("log.txt", content.length));
    writeInChunks(upload, content, 0, 1000);

    assertThatThrownBy(() -> upload.finish(Digests.sha256(content), false))
        .extracting(e -> ((UploadRefused) e).reason())
        .isEqualTo("size-mismatch");
    assertThat(filesIn(root.resolve("sensor-1"))).isEmpty();
  }

  @Test
  void anEndOfZerosIsTheClientAbandoningTheUploadAndLeavesNothing() throws Exception {
    PartialUpload upload = store.begin("sensor-1", fresh("log.txt", content.length));
    writeInChunks(upload, content, 0, 1000);

    assertThatThrownBy(() -> upload.finish(new byte[32], false))
        .extracting(e -> ((UploadRefused) e).reason())
        .isEqualTo("source-changed");
    assertThat(filesIn(root.resolve("sensor-1"))).isEmpty();
  }

  @Test
  void tooManyBytesAreRefusedAsTheyArriveAndLeaveNothing() throws Exception {
    PartialUpload upload = store.begin("sensor-1", fresh("log.txt", 10));

    assertThatThrownBy(() -> upload.write(new byte[11]))
        .extracting(e -> ((UploadRefused) e).reason())
        .isEqualTo("size-mismatch");
    assertThat(filesIn(root.resolve("sensor-1"))).isEmpty();
  }

  static Stream<String> unsafeNames() {
    return Stream.of(
        "",
        ".",
        "..",
        "../escape",
        "/etc/passwd",
        "a/b",
        "a\\b",
        "nul\0byte",
        "line\nbreak",
        "bell\u0007",
        "\u0085next",
        ".authgate-part-0011",
        "x".repeat(256));
  }

  @ParameterizedTest
  @MethodSource("unsafeNames")
  void unsafeNamesAreRefusedAndNothingIsWrittenAnywhere(String name) throws IOException {
    assertThatThrownBy(() -> store.begin("sensor-1", fresh(name, 1)))
        .isInstanceOf(UploadRefused.class)
        .hasMessageContaining("one path component")
        .extracting(e -> ((UploadRefused) e).reason())
        .isEqualTo("bad-name");
    try (Stream<Path> all = Files.walk(dir)) {
      assertThat(all.filter(Files::isRegularFile)).isEmpty();
    }
  }

  @Test
  void aNameOf255BytesIsFineButNot256() throws Exception {
    PartialUpload upload = store.begin("sensor-1", fresh("é".repeat(127) + "x", 1));
    upload.write(new byte[] {1});
    upload.finish(Digests.sha256(new byte[] {1}), false);
    assertThatThrownBy(() -> store.begin("sensor-1", fresh("é".repeat(128), 1)))
        .isInstanceOf(UploadRefused.class);
  }

  @Test
  void whileAStoredFileIsAnnouncedItsNameIsStillHeld_soNoOverwriteSlipsInBeforeItsHooks()
      throws Exception {
    byte[] three = {1, 2, 3};
    PartialUpload upload = store.begin("sensor-1", new UploadBegin("log.txt", 3, true, false));
    upload.write(three);
    java.util.List<String> duringAnnounce = new java.util.ArrayList<>();
    upload.finish(
        Digests.sha256(three),
        true,
        sha -> {
          try {
            store.begin("sensor-1", new UploadBegin("log.txt", 3, true, false));
            duringAnnounce.add("admitted");
          } catch (UploadRefused e) {
            duringAnnounce.add(e.reason());
          }
        });

    assertThat(duringAnnounce).containsExactly("busy");
    PartialUpload after = store.begin("sensor-1", new UploadBegin("log.txt", 3, true, false));
    after.abort("test", "done");
  }

  @Test
  void anExistingNameIsRefusedUnlessOverwriting() throws Exception {
    store("log.txt", content);
    assertThatThrownBy(() -> store.begin("sensor-1", fresh("log.txt", 3)))
        .extracting(e -> ((UploadRefused) e).reason())
        .isEqualTo("exists");

    byte[] replacement = {7, 8, 9};
    PartialUpload upload = store.begin("sensor-1", new UploadBegin("log.txt", 3, true, false));
    upload.write(replacement);
    upload.finish(Digests.sha256(replacement), true);
    assertThat(Files.readAllBytes(root.resolve("sensor-1/log.txt"))).isEqualTo(replacement);
  }

  private void store(String name, byte[] bytes) throws UploadRefused {
    PartialUpload upload = store.begin("sensor-1", fresh(name, bytes.length));
    writeInChunks(upload, bytes, 0, bytes.length);
    upload.finish(Digests.sha256(bytes), false);
  }

  @Test
  void aSecondUploadOfTheSameNameIsBusyUntilTheFirstEnds() throws Exception {
    PartialUpload first = store.begin("sensor-1", fresh("log.txt", content.length));
    assertThatThrownBy(() -> store.begin("sensor-1", fresh("log.txt", 1)))
        .extracting(e -> ((UploadRefused) e).reason())
        .isEqualTo("busy");
    assertThat(store.begin("sensor-2", fresh("log.txt", 1))).isNotNull();

    writeInChunks(first, content, 0, content.length);
    first.finish(Digests.sha256(content), false);
    assertThat(Files.readAllBytes(root.resolve("sensor-1/log.txt"))).isEqualTo(content);
  }

  @Test
  void sizeAndQuotaAreCheckedBeforeAnyByteIsWritten() throws Exception {
    assertThatThrownBy(() -> store.begin("sensor-1", fresh("huge", 1_000_001)))
        .extracting(e -> ((UploadRefused) e).reason())
        .isEqualTo("too-large");
    store("a", content);
    store("b", content);
    assertThatThrownBy(() -> store.begin("sensor-1", fresh("c", content.length)))
        .extracting(e -> ((UploadRefused) e).reason())
        .isEqualTo("quota");
    assertThat(filesIn(root.resolve("sensor-1"))).containsExactly("a", "b");
  }

  @Test
  void anOverwriteReservesTheWholeStagedFile_soAnInterruptedOneCannotLeaveTwiceTheQuota()
      throws Exception {
    store("big", content); // 700 000 of the 2 000 000 quota
    store("other", content); // 1 400 000
    assertThatThrownBy(
            () -> store.begin("sensor-1", new UploadBegin("big", content.length, true, false)))
        .isInstanceOf(UploadRefused.class)
        .hasMessageContaining("an overwrite needs room for the new file beside the old one")
        .extracting(e -> ((UploadRefused) e).reason())
        .isEqualTo("quota");

    java.nio.file.Files.delete(root.resolve("sensor-1/other")); // 700 000 used
    PartialUpload overwrite =
        store.begin("sensor-1", new UploadBegin("big", content.length, true, false));
    writeInChunks(overwrite, content, 0, 600_000);
    overwrite.interrupt(); // its 600 000 stay for a resume, beside the old 700 000

    long onDisk;
    try (Stream<Path> files = Files.list(root.resolve("sensor-1"))) {
      onDisk = files.mapToLong(f -> f.toFile().length()).sum();
    }
    assertThat(onDisk).isLessThanOrEqualTo(2_000_000);
    // and what is staged counts: another upload of 700 001 bytes no longer fits
    assertThatThrownBy(() -> store.begin("sensor-1", fresh("third", 700_001)))
        .extracting(e -> ((UploadRefused) e).reason())
        .isEqualTo("quota");
  }

  @Test
  void uploadsInFlightCountAgainstTheQuota() throws Exception {
    store.begin("sensor-1", fresh("a", 900_000));
    store.begin("sensor-1", fresh("b", 900_000));
    assertThatThrownBy(() -> store.begin("sensor-1", fresh("c", 900_000)))
        .extracting(e -> ((UploadRefused) e).reason())
        .isEqualTo("quota");
  }

  @Test
  void anInterruptedUploadResumesFromItsKeptPrefixToAnIdenticalFile() throws Exception {
    PartialUpload first = store.begin("sensor-1", fresh("log.txt", content.length));
    writeInChunks(first, content, 0, 300_000);
    first.interrupt();
    assertThat(filesIn(root.resolve("sensor-1"))).noneMatch(n -> n.equals("log.txt"));

    PartialUpload resumed =
        store.begin("sensor-1", new UploadBegin("log.txt", content.length, false, true));
    assertThat(resumed.offset()).isEqualTo(300_000);
    assertThat(resumed.prefixSha256()).isEqualTo(Digests.sha256(Arrays.copyOf(content, 300_000)));
    writeInChunks(resumed, content, 300_000, content.length);
    resumed.finish(Digests.sha256(content), false);

    assertThat(Files.readAllBytes(root.resolve("sensor-1/log.txt"))).isEqualTo(content);
    assertThat(filesIn(root.resolve("sensor-1"))).containsExactly("log.txt");
  }

  @Test
  void withoutResumeAKeptPrefixIsDiscarded() throws Exception {
    PartialUpload first = store.begin("sensor-1", fresh("log.txt", content.length));
    writeInChunks(first, content, 0, 300_000);
    first.interrupt();

    assertThat(store.begin("sensor-1", fresh("log.txt", content.length)).offset()).isZero();
  }

  @Test
  void keptPrefixesOlderThanTheKeepTimeAreSwept() throws Exception {
    PartialUpload first = store.begin("sensor-1", fresh("log.txt", content.length));
    writeInChunks(first, content, 0, 1000);
    first.interrupt();
    Clock later = Clock.fixed(Instant.now().plus(Duration.ofHours(2)), ZoneOffset.UTC);
    UploadStore sweeper = UploadStore.open(store.limits(), later);

    assertThat(store.sweepPartials()).isZero();
    assertThat(sweeper.sweepPartials()).isOne();
    assertThat(filesIn(root.resolve("sensor-1"))).isEmpty();
  }

  @Test
  void aClientDirectorySwappedForASymlinkIsRefusedAndNothingLandsOutside() throws Exception {
    Path outside = Files.createDirectory(dir.resolve("outside"));
    Files.createDirectories(root);
    Files.createSymbolicLink(root.resolve("sensor-1"), outside);

    assertThatThrownBy(() -> store.begin("sensor-1", fresh("log.txt", 3)))
        .extracting(e -> ((UploadRefused) e).reason())
        .isEqualTo("storage-error");
    assertThat(filesIn(outside)).isEmpty();
  }

  @Test
  void anUploadsRootSwappedForASymlinkWhileServingReceivesNothing() throws Exception {
    PartialUpload first = store.begin("sensor-1", fresh("before.txt", 3));
    first.write(new byte[] {1, 2, 3});
    first.finish(Digests.sha256(new byte[] {1, 2, 3}), false);
    Path outside = Files.createDirectory(dir.resolve("outside"));
    Files.move(root, dir.resolve("uploads-moved"));
    Files.createSymbolicLink(root, outside);

    assertThatThrownBy(() -> store.begin("sensor-1", fresh("after.txt", 3)))
        .isInstanceOf(UploadRefused.class)
        .hasMessageContaining("was replaced by a symbolic link")
        .extracting(e -> ((UploadRefused) e).reason())
        .isEqualTo("storage-error");
    assertThat(store.sweepPartials()).isZero();
    assertThat(filesIn(outside)).isEmpty();
    assertThat(filesIn(dir.resolve("uploads-moved/sensor-1"))).containsExactly("before.txt");
  }

  @Test
  void anUploadsRootReplacedByAnotherDirectoryIsRefusedToo() throws Exception {
    Files.move(root, dir.resolve("uploads-moved"));
    Files.createDirectory(root);

    assertThatThrownBy(() -> store.begin("sensor-1", fresh("after.txt", 3)))
        .hasMessageContaining("was replaced since the server started");
    assertThat(filesIn(root)).isEmpty();
  }

  @Test
  void aFileSymlinkedToATargetOutsideIsReplacedNotFollowed() throws Exception {
    Path outside = Files.writeString(dir.resolve("precious.txt"), "keep me");
    Files.createDirectories(root.resolve("sensor-1"));
    Files.createSymbolicLink(root.resolve("sensor-1/log.txt"), outside);

    PartialUpload upload = store.begin("sensor-1", new UploadBegin("log.txt", 3, true, false));
    upload.write(new byte[] {1, 2, 3});
    upload.finish(Digests.sha256(new byte[] {1, 2, 3}), true);

    assertThat(Files.readString(outside)).isEqualTo("keep me");
    assertThat(Files.isSymbolicLink(root.resolve("sensor-1/log.txt"))).isFalse();
  }

  @Test
  void aFullDiskIsAClearErrorThatRemovesThePartialWhileAnotherClientSucceeds() throws Exception {
    try (FileSystem small =
        Jimfs.newFileSystem(
            Configuration.unix().toBuilder()
                .setMaxSize(2 * 1024 * 1024)
                .setBlockSize(4096)
                .build())) {
      UploadStore capped =
          UploadStore.open(
              new UploadLimits(
                  small.getPath("/uploads"), 10_000_000, 10_000_000, Duration.ofHours(1)),
              Clock.systemUTC());
      byte[] huge = randomBytes(3 * 1024 * 1024);
      PartialUpload other = capped.begin("sensor-2", fresh("small.bin", content.length));
      writeInChunks(other, content, 0, 100_000);
      PartialUpload filling = capped.begin("sensor-1", fresh("huge.bin", huge.length));

      assertThatThrownBy(() -> writeInChunks(filling, huge, 0, huge.length))
          .isInstanceOf(UploadRefused.class)
          .hasMessageContaining("no space left")
          .extracting(e -> ((UploadRefused) e).reason())
          .isEqualTo("storage-error");
      try (Stream<Path> left = Files.list(small.getPath("/uploads/sensor-1"))) {
        assertThat(left).isEmpty();
      }

      writeInChunks(other, content, 100_000, content.length);
      other.finish(Digests.sha256(content), false);
      assertThat(Files.readAllBytes(small.getPath("/uploads/sensor-2/small.bin")))
          .isEqualTo(content);
    }
  }
}
