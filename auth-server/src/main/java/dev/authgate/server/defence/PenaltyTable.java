package dev.authgate.server.defence;

import dev.authgate.protocol.Reason;
import dev.authgate.server.net.Addresses;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Penalty time per source netblock. A source's entry holds the instant its penalty ends; each
 * failure pushes that instant later by the failure's weight (never beyond {@code max} from now),
 * and time runs it down. The table is bounded: past {@code maxSources} entries, the least recently
 * penalised source is forgotten first, so a flood of distinct addresses cannot grow it. Success
 * never clears a penalty, so one client's login cannot launder a shared source's failures.
 *
 * <p>Thread-safe (one lock; every operation is a map lookup).
 */
public final class PenaltyTable implements PenaltyStore {
  private final PenaltyPolicy policy;
  private final Clock clock;
  private final LinkedHashMap<String, Instant> penaltyEnds;

  /** An empty table. */
  public PenaltyTable(PenaltyPolicy policy, Clock clock) {
    this.policy = policy;
    this.clock = clock;
    this.penaltyEnds =
        new LinkedHashMap<>(1024, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Instant> eldest) {
            return size() > policy.maxSources();
          }
        };
  }

  @Override
  public int penalizedSources() {
    Instant now = clock.instant();
    synchronized (penaltyEnds) {
      return (int) penaltyEnds.values().stream().filter(end -> end.isAfter(now)).count();
    }
  }

  /** The policy in force. */
  public PenaltyPolicy policy() {
    return policy;
  }

  @Override
  public String source(InetAddress address) {
    byte[] bytes = address.getAddress();
    int prefix = bytes.length == 4 ? policy.ipv4Prefix() : policy.ipv6Prefix();
    try {
      return Addresses.host(InetAddress.getByAddress(Cidr.mask(bytes, prefix))) + "/" + prefix;
    } catch (java.net.UnknownHostException e) {
      return HexFormat.of().formatHex(bytes) + "/" + prefix;
    }
  }

  @Override
  public void penalize(InetAddress address, Reason reason) {
    penalizeAndTell(address, reason);
  }

  /**
   * As {@link #penalize}, and says what the failure weighed.
   *
   * @return the weight added, or zero if none was (a reason that is not the peer's fault, or an
   *     exempt address)
   */
  public Duration penalizeAndTell(InetAddress address, Reason reason) {
    Duration weight = policy.weight(reason);
    if (weight.isZero() || isExempt(address)) {
      return Duration.ZERO;
    }
    Instant now = clock.instant();
    String key = source(address);
    synchronized (penaltyEnds) {
      Instant current = penaltyEnds.getOrDefault(key, now);
      Instant from = current.isAfter(now) ? current : now;
      Instant end = from.plus(weight);
      Instant cap = now.plus(policy.max());
      penaltyEnds.put(key, end.isAfter(cap) ? cap : end);
    }
    return weight;
  }

  /**
   * Learns that {@code source}'s penalty runs until {@code end} (from another server sharing the
   * penalties): the later of that and what this table holds stands, never more than {@link
   * PenaltyPolicy#max()} from now. An end already past is ignored.
   */
  public void merge(String source, Instant end) {
    Instant now = clock.instant();
    if (!end.isAfter(now)) {
      return;
    }
    Instant cap = now.plus(policy.max());
    Instant bounded = end.isAfter(cap) ? cap : end;
    synchronized (penaltyEnds) {
      Instant current = penaltyEnds.get(source);
      if (current == null || bounded.isAfter(current)) {
        penaltyEnds.put(source, bounded);
      }
    }
  }

  /** The sources whose penalty has not run out, with when it does. */
  public Map<String, Instant> active() {
    Instant now = clock.instant();
    Map<String, Instant> out = new LinkedHashMap<>();
    synchronized (penaltyEnds) {
      penaltyEnds.forEach(
          (source, end) -> {
            if (end.isAfter(now)) {
              out.put(source, end);
            }
          });
    }
    return out;
  }

  @Override
  public Optional<Duration> refusal(InetAddress address) {
    if (isExempt(address)) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    Instant end;
    synchronized (penaltyEnds) {
      end = penaltyEnds.get(source(address));
    }
    if (end == null) {
      return Optional.empty();
    }
    // Refused while more than the threshold is left: so for what is left beyond it.
    Duration refused = Duration.between(now, end).minus(policy.threshold());
    return refused.isPositive() ? Optional.of(refused) : Optional.empty();
  }

  private boolean isExempt(InetAddress address) {
    return policy.exempt().stream().anyMatch(c -> c.contains(address));
  }

  /** How many sources are remembered. */
  public int size() {
    synchronized (penaltyEnds) {
      return penaltyEnds.size();
    }
  }
}
