package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A watched folder fed as producers should: each file written beside it, then renamed in. */
final class Outbox {
  private final Path staging;
  private final Path folder;

  Outbox(Path staging, Path folder) {
    this.staging = staging;
    this.folder = folder;
  }

  /**
   * Drops {@code count} random files named {@code PREFIX-NNN.bin} (1 000 bytes to {@code maxSize}),
   * killing and restarting {@code server} after each file whose index is in {@code restartAfter}.
   *
   * @return each file's content, by index
   */
  List<byte[]> dropWhileRestarting(
      String prefix, int count, int maxSize, SamePortServer server, int... restartAfter)
      throws Exception {
    Random random = new Random(count);
    List<byte[]> contents = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      byte[] bytes = new byte[1000 + random.nextInt(maxSize)];
      random.nextBytes(bytes);
      contents.add(bytes);
      String name = name(prefix, i);
      Files.write(staging.resolve(name), bytes);
      Files.move(staging.resolve(name), folder.resolve(name), StandardCopyOption.ATOMIC_MOVE);
      for (int at : restartAfter) {
        if (i == at) {
          server.killAndRestart();
        }
      }
      Thread.sleep(10);
    }
    return contents;
  }

  /** Asserts each dropped file is stored under {@code stored}, byte-identical. */
  static void assertStored(Path stored, String prefix, List<byte[]> contents) throws IOException {
    for (int i = 0; i < contents.size(); i++) {
      String name = name(prefix, i);
      assertThat(Files.readAllBytes(stored.resolve(name))).as(name).isEqualTo(contents.get(i));
    }
  }

  static String name(String prefix, int i) {
    return String.format("%s-%03d.bin", prefix, i);
  }
}
