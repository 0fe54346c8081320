package dev.authgate.server.defence;

import dev.authgate.protocol.Reason;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How failures turn into refusals. Each failure adds its weight to the source's penalty; while a
 * source's remaining penalty exceeds {@code threshold}, its new connections are refused at accept.
 * A penalty never exceeds {@code max} and runs down in real time. Immutable.
 *
 * @param authFailure added for unknown-client, bad-proof, revoked-key, expired-key
 * @param timeout added for handshake-timeout
 * @param malformed added for malformed, unsupported-version and proxy-header (a PROXY header from
 *     an address that is not a trusted proxy; trusted proxies themselves are never penalised)
 * @param threshold penalty above which a source is refused
 * @param max the longest penalty a source can accumulate
 * @param ipv4Prefix how many leading bits of an IPv4 address make one source (32: per address)
 * @param ipv6Prefix how many leading bits of an IPv6 address make one source (64: per /64)
 * @param maxSources the most sources remembered; the least recently penalised go first
 * @param exempt blocks that are never penalised
 */
public record PenaltyPolicy(
    Duration authFailure,
    Duration timeout,
    Duration malformed,
    Duration threshold,
    Duration max,
    int ipv4Prefix,
    int ipv6Prefix,
    int maxSources,
    List<Cidr> exempt) {
  /** Validates and copies. */
  public PenaltyPolicy {
    Objects.requireNonNull(authFailure);
    Objects.requireNonNull(timeout);
    Objects.requireNonNull(malformed);
    Objects.requireNonNull(threshold);
    Objects.requireNonNull(max);
    if (ipv4Prefix < 1 || ipv4Prefix > 32 || ipv6Prefix < 1 || ipv6Prefix > 128) {
      throw new IllegalArgumentException("source prefixes must be 1-32 (IPv4) and 1-128 (IPv6)");
    }
    if (maxSources < 1) {
      throw new IllegalArgumentException("the penalty table needs room for at least one source");
    }
    exempt = List.copyOf(exempt);
  }

  /**
   * OpenSSH-like defaults: 5 s per failed login, 10 s per timeout, refuse above 15 s, cap 10 min.
   */
  public static PenaltyPolicy defaults() {
    return new PenaltyPolicy(
        Duration.ofSeconds(5),
        Duration.ofSeconds(10),
        Duration.ofSeconds(2),
        Duration.ofSeconds(15),
        Duration.ofMinutes(10),
        32,
        64,
        65_536,
        List.of());
  }

  /** A policy that never refuses anyone. */
  public static PenaltyPolicy disabled() {
    return new PenaltyPolicy(
        Duration.ZERO,
        Duration.ZERO,
        Duration.ZERO,
        Duration.ofDays(365),
        Duration.ZERO,
        32,
        64,
        1,
        List.of());
  }

  /**
   * The weight of one failure of {@code reason}; zero for reasons that are not the peer's fault.
   */
  public Duration weight(Reason reason) {
    return switch (reason) {
      case UNKNOWN_CLIENT, BAD_PROOF, REVOKED_KEY, EXPIRED_KEY, CLONE_SUSPECTED -> authFailure;
      case HANDSHAKE_TIMEOUT -> timeout;
      case MALFORMED, UNSUPPORTED_VERSION, INTEGRITY, PROXY_HEADER -> malformed;
      default -> Duration.ZERO;
    };
  }

  /** A copy with {@code blocks} exempt. */
  public PenaltyPolicy withExempt(List<Cidr> blocks) {
    return new PenaltyPolicy(
        authFailure,
        timeout,
        malformed,
        threshold,
        max,
        ipv4Prefix,
        ipv6Prefix,
        maxSources,
        blocks);
  }
}
