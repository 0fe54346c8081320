package dev.authgate.server.defence;

import java.util.Objects;

/**
 * The defence settings of a server. Immutable; each server makes its own {@link StartupLimit}.
 *
 * @param penalties per-source penalties
 * @param maxStartups the cap on connections in their handshake, {@code start:rate:full}
 */
public record Defences(PenaltyPolicy penalties, String maxStartups) {
  /** Validates both parts. */
  public Defences {
    Objects.requireNonNull(penalties, "penalties");
    StartupLimit.parse(maxStartups);
  }

  /** OpenSSH-like defaults: the default penalty policy and max-startups 10:30:100. */
  public static Defences defaults() {
    return new Defences(PenaltyPolicy.defaults(), "10:30:100");
  }

  /** No penalties and room for 1 000 concurrent handshakes: for tests and benchmarks. */
  public static Defences relaxed() {
    return new Defences(PenaltyPolicy.disabled(), "1000");
  }

  /** A fresh limiter for one server. */
  public StartupLimit newStartupLimit() {
    return StartupLimit.parse(maxStartups);
  }
}
