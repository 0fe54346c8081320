package dev.authgate.server.defence;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * The defence settings of a server. Immutable; each server makes its own {@link StartupLimit}.
 *
 * @param penalties per-source penalties
 * @param maxStartups the cap on connections in their handshake, {@code start:rate:full}
 * @param perSourceMaxStartups the cap on connections in their handshake from one source
 * @param trustedProxies load balancers whose connections must begin with a PROXY protocol v2 header
 *     naming the real client, which then counts as the source everywhere; empty: the PROXY protocol
 *     is off and every connection's own address is its source
 */
public record Defences(
    PenaltyPolicy penalties,
    String maxStartups,
    int perSourceMaxStartups,
    List<Cidr> trustedProxies) {
  /**
   * Handshakes in progress from one source: enough for a rack of machines behind one NAT address
   * starting at once, a quarter of the global start so one source's slowloris never reaches it
   * (docs/PERFORMANCE.md, "Bursts of legitimate machines").
   */
  public static final int DEFAULT_PER_SOURCE_MAX_STARTUPS = 16;

  /**
   * The global handshake cap: random early drop from 64 handshakes in progress, all refused at 256.
   * Sized from the handshake's cost (about 0.2 ms of server CPU): a full table is well under a
   * second of work, so legitimate clients in it finish long before the handshake deadline, while a
   * flood still meets a hard cap and dropped connections are refused at once.
   */
  public static final String DEFAULT_MAX_STARTUPS = "64:30:256";

  /** Validates every part. */
  public Defences {
    Objects.requireNonNull(penalties, "penalties");
    StartupLimit.parse(maxStartups, perSourceMaxStartups);
    trustedProxies = List.copyOf(trustedProxies);
  }

  /** Settings without the PROXY protocol. */
  public Defences(PenaltyPolicy penalties, String maxStartups, int perSourceMaxStartups) {
    this(penalties, maxStartups, perSourceMaxStartups, List.of());
  }

  /** Whether the PROXY protocol is on. */
  public boolean proxyProtocol() {
    return !trustedProxies.isEmpty();
  }

  /** Whether {@code address} is a trusted proxy, whose connections carry a PROXY header. */
  public boolean trustsProxy(InetAddress address) {
    for (Cidr block : trustedProxies) {
      if (block.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /** A copy in which connections from {@code proxies} carry a PROXY protocol v2 header. */
  public Defences withTrustedProxies(List<Cidr> proxies) {
    return new Defences(penalties, maxStartups, perSourceMaxStartups, proxies);
  }

  /** Settings with no per-source cap below the global one. */
  public Defences(PenaltyPolicy penalties, String maxStartups) {
    this(penalties, maxStartups, Integer.MAX_VALUE);
  }

  /**
   * The defaults: the default penalty policy, max-startups 64:30:256, 16 per source (OpenSSH's
   * shape, sized for machines that reconnect together after an outage).
   */
  public static Defences defaults() {
    return new Defences(
        PenaltyPolicy.defaults(), DEFAULT_MAX_STARTUPS, DEFAULT_PER_SOURCE_MAX_STARTUPS);
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
