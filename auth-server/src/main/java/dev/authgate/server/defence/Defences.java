package dev.authgate.server.defence;

import java.util.Objects;

/**
 * The defence settings of a server. Immutable; each server makes its own {@link StartupLimit}.
 *
 * @param penalties per-source penalties
 * @param maxStartups the cap on connections in their handshake, {@code start:rate:full}
 * @param perSourceMaxStartups the cap on connections in their handshake from one source
 */
public record Defences(PenaltyPolicy penalties, String maxStartups, int perSourceMaxStartups) {
  /**
   * The default per-source cap: half of the default {@code start}, so one source never reaches it.
   */
  public static final int DEFAULT_PER_SOURCE_MAX_STARTUPS = 5;

  /** Validates every part. */
  public Defences {
    Objects.requireNonNull(penalties, "penalties");
    StartupLimit.parse(maxStartups, perSourceMaxStartups);
  }

  /** Settings with no per-source cap below the global one. */
  public Defences(PenaltyPolicy penalties, String maxStartups) {
    this(penalties, maxStartups, Integer.MAX_VALUE);
  }

  /** OpenSSH-like defaults: the default penalty policy, max-startups 10:30:100, 5 per source. */
  public static Defences defaults() {
    return new Defences(PenaltyPolicy.defaults(), "10:30:100", DEFAULT_PER_SOURCE_MAX_STARTUPS);
  }

  /** No penalties and room for 1 000 concurrent handshakes: for tests and benchmarks. */
  public static Defences relaxed() {
    return new Defences(PenaltyPolicy.disabled(), "1000");
  }

  /** A fresh limiter for one server. */
  public StartupLimit newStartupLimit() {
    return StartupLimit.parse(maxStartups, perSourceMaxStartups);
  }
}
