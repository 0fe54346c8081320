package dev.authgate.client.upload;

import dev.authgate.client.connect.Backoff;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What to watch and what to do with stored files.
 *
 * @param folder the folder to watch
 * @param done where stored files go, or null to delete them
 * @param settle how long a file must stay unchanged before it is taken
 * @param poll how often the folder is listed
 * @param overwrite replace files of the same name on the server
 * @param retry the per-file wait after a refusal
 */
public record WatchOptions(
    Path folder, Path done, Duration settle, Duration poll, boolean overwrite, Backoff retry) {
  /** Checks the options. */
  public WatchOptions {
    Objects.requireNonNull(folder, "folder");
    Objects.requireNonNull(settle, "settle");
    Objects.requireNonNull(poll, "poll");
    Objects.requireNonNull(retry, "retry");
    if (poll.isNegative() || poll.isZero()) {
      throw new IllegalArgumentException("the poll interval must be positive");
    }
    if (settle.isNegative()) {
      throw new IllegalArgumentException("the settle time must not be negative");
    }
  }

  /** Watches {@code folder}, deleting stored files, with a 2 s settle time and 1 s polls. */
  public static WatchOptions deleting(Path folder) {
    return new WatchOptions(
        folder,
        null,
        Duration.ofSeconds(2),
        Duration.ofSeconds(1),
        false,
        new Backoff(Duration.ofSeconds(5), Duration.ofMinutes(5)));
  }

  /** These options, moving stored files to {@code done} instead of deleting them. */
  public WatchOptions movingTo(Path done) {
    return new WatchOptions(folder, done, settle, poll, overwrite, retry);
  }

  /** These options with {@code settle} and {@code poll}. */
  public WatchOptions timing(Duration settle, Duration poll) {
    return new WatchOptions(folder, done, settle, poll, overwrite, retry);
  }

  /** These options with {@code retry} as the per-file backoff after a refusal. */
  public WatchOptions retrying(Backoff retry) {
    return new WatchOptions(folder, done, settle, poll, overwrite, retry);
  }

  /** These options replacing same-named files on the server, or not. */
  public WatchOptions overwriting(boolean overwrite) {
    return new WatchOptions(folder, done, settle, poll, overwrite, retry);
  }
}
