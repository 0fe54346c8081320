package dev.authgate.server.testing;

import java.util.concurrent.TimeUnit;

/** Stopping the engines tests start (redis-server, haproxy), and waiting between probes. */
final class ChildProcesses {
  private ChildProcesses() {}

  /** SIGTERM, up to 5 s to exit, then SIGKILL. */
  static void stop(Process process) {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** Sleeps, keeping an interrupt for the caller to see. */
  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
