package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code auth-client upload} with its progress bar in a real, narrow terminal (tmux). */
class UploadTerminalProcessIT {
  @TempDir Path dir;

  @Test
  void onAFortyColumnTerminalTheProgressLineFitsAndEndsAtOneHundredPercent() throws Exception {
    Jars.provision(dir, "sensor-1");
    try (RandomAccessFile file = new RandomAccessFile(dir.resolve("backup.tar").toFile(), "rw")) {
      file.setLength(32L << 20);
    }
    Jars.Server server = Jars.serve(dir, List.of(), Jars.serveArgs("--uploads", "uploads"));
    String upload =
        String.join(
            " ",
            Jars.client(
                List.of(),
                "upload",
                "--progress",
                "--server",
                server.address(),
                "--key",
                dir.resolve("sensor-1.credential").toString(),
                dir.resolve("backup.tar").toString()));
    try (Tmux terminal = Tmux.start("upload", 40, 12, upload + "; echo EXIT=$?; sleep 600")) {
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> terminal.screen().contains("EXIT="));
      String screen = terminal.unwrappedScreen();

      assertThat(screen).contains("EXIT=0").contains("stored backup.tar");
      List<String> progress = screen.lines().filter(line -> line.contains("%")).toList();
      assertThat(progress).as(screen).isNotEmpty();
      // With or without the bar (it is dropped when a fast rate takes its room), and nothing left
      // over from a longer line drawn before it.
      assertThat(progress.getLast().stripTrailing())
          .as(screen)
          .matches("backup\\.tar 100%( \\[=+\\])? [0-9.]+ MiB/s");
      // Not one line the terminal had to wrap: each fits in 39 columns, the bar included; only the
      // final "stored NAME: SIZE bytes, sha256 HEX" may (it is not redrawn).
      assertThat(screen.lines())
          .as(screen)
          .allMatch(line -> line.length() < 40 || line.contains("stored"));
    } finally {
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
  }
}
