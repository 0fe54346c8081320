package dev.authgate.client.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A process's stdout, line by line, read on a thread of its own so the test can wait for a line
 * with a deadline instead of blocking forever on a read.
 */
final class Lines {
  private final java.util.concurrent.BlockingQueue<String> lines =
      new java.util.concurrent.LinkedBlockingQueue<>();

  Lines(Process process) {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    Thread.ofVirtual()
        .start(
            () -> {
              try {
                for (String line; (line = in.readLine()) != null; ) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // The process is gone; waiting callers time out.
              }
            });
  }

  /** The next line containing {@code text}, waiting at most {@code max}; null if none came. */
  String await(String text, Duration max) throws InterruptedException {
    long end = System.nanoTime() + max.toNanos();
    while (true) {
      String line = lines.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == null || line.contains(text)) {
        return line;
      }
    }
  }

  /** Every line received and not yet taken. */
  List<String> rest() {
    List<String> rest = new ArrayList<>();
    lines.drainTo(rest);
    return rest;
  }
}
