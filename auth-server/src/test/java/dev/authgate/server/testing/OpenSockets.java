package dev.authgate.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Counts the sockets this JVM holds open (Linux, from {@code /proc/self/fd}). Tests compare it
 * before and after to prove a fault or a load left no connection behind; jar files the class loader
 * opens lazily do not count.
 */
public final class OpenSockets {
  private OpenSockets() {}

  /** Sockets open in this JVM now. */
  public static long count() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(OpenSockets::isSocket).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean isSocket(Path fd) {
    try {
      return Files.readSymbolicLink(fd).toString().startsWith("socket:");
    } catch (IOException e) {
      return false;
    }
  }
}
