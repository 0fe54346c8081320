package dev.authgate.server.defence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.Reason;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PenaltyTableTest {
  final MutableClock clock = new MutableClock();
  final PenaltyTable table = new PenaltyTable(PenaltyPolicy.defaults(), clock);

  static InetAddress ip(String text) throws UnknownHostException {
    return InetAddress.getByName(text);
  }

  @Test
  void aSourceIsRefusedOnlyOnceItsPenaltyExceedsTheThreshold() throws Exception {
    InetAddress attacker = ip("192.0.2.7");
    for (int i = 0; i < 3; i++) {
      table.penalize(attacker, Reason.BAD_PROOF);
    }
    assertThat(table.refusal(attacker)).isEmpty();

    table.penalize(attacker, Reason.UNKNOWN_CLIENT);

    // 20 s of penalty, refused above 15 s: refused for 5 s more.
    assertThat(table.refusal(attacker)).contains(Duration.ofSeconds(5));
    assertThat(table.refusal(ip("192.0.2.8"))).isEmpty();
  }

  @Test
  void penaltiesRunDownWithTime() throws Exception {
    InetAddress attacker = ip("192.0.2.7");
    for (int i = 0; i < 6; i++) {
      table.penalize(attacker, Reason.BAD_PROOF);
    }
    clock.advance(Duration.ofSeconds(14));
    assertThat(table.refusal(attacker)).contains(Duration.ofSeconds(1));
    clock.advance(Duration.ofSeconds(2));
    assertThat(table.refusal(attacker)).isEmpty();
  }

  @Test
  void aPenaltyNeverExceedsTheMaximum() throws Exception {
    InetAddress attacker = ip("192.0.2.7");
    for (int i = 0; i < 1000; i++) {
      table.penalize(attacker, Reason.HANDSHAKE_TIMEOUT);
    }
    assertThat(table.refusal(attacker)).contains(Duration.ofMinutes(10).minusSeconds(15));
  }

  @Test
  void ipv6SourcesAreGroupedBySlash64() throws Exception {
    for (int i = 1; i <= 4; i++) {
      table.penalize(ip("2001:db8:1:2::" + i), Reason.BAD_PROOF);
    }
    assertThat(table.refusal(ip("2001:db8:1:2::ffff"))).isPresent();
    assertThat(table.refusal(ip("2001:db8:1:3::1"))).isEmpty();
    assertThat(table.source(ip("2001:db8:1:2::9"))).isEqualTo("2001:db8:1:2::/64");
  }

  @Test
  void exemptBlocksAreNeverPenalised() throws Exception {
    PenaltyTable exempting =
        new PenaltyTable(
            PenaltyPolicy.defaults().withExempt(List.of(Cidr.parse("10.0.0.0/8"))), clock);
    for (int i = 0; i < 10; i++) {
      exempting.penalize(ip("10.1.2.3"), Reason.BAD_PROOF);
    }
    assertThat(exempting.refusal(ip("10.1.2.3"))).isEmpty();
    assertThat(exempting.size()).isZero();
  }

  @Test
  void theTableStaysWithinItsBoundUnderAHundredThousandSources() throws Exception {
    for (int i = 0; i < 100_000; i++) {
      byte[] address = {(byte) 198, (byte) (i >> 16), (byte) (i >> 8), (byte) i};
      table.penalize(InetAddress.getByAddress(address), Reason.BAD_PROOF);
    }
    assertThat(table.size()).isEqualTo(65_536);
  }

  @Test
  void theLeastRecentlyPenalisedSourceIsForgottenFirst() throws Exception {
    PenaltyPolicy small =
        new PenaltyPolicy(
            Duration.ofSeconds(5),
            Duration.ofSeconds(10),
            Duration.ofSeconds(2),
            Duration.ofSeconds(15),
            Duration.ofMinutes(10),
            32,
            64,
            2,
            List.of());
    PenaltyTable tiny = new PenaltyTable(small, clock);
    for (int i = 0; i < 4; i++) {
      tiny.penalize(ip("192.0.2.1"), Reason.BAD_PROOF);
    }
    tiny.penalize(ip("192.0.2.2"), Reason.BAD_PROOF);
    tiny.penalize(ip("192.0.2.1"), Reason.BAD_PROOF);
    tiny.penalize(ip("192.0.2.3"), Reason.BAD_PROOF);

    assertThat(tiny.size()).isEqualTo(2);
    assertThat(tiny.refusal(ip("192.0.2.1"))).isPresent();
  }

  @Test
  void successIsNotAFailureAndCostsNothing() throws Exception {
    table.penalize(ip("192.0.2.7"), Reason.CONNECTION_LOST);
    assertThat(table.size()).isZero();
  }

  @Test
  void cidrParsingAndMatching() throws Exception {
    Cidr block = Cidr.parse("192.168.0.0/16");
    assertThat(block.contains(ip("192.168.44.1"))).isTrue();
    assertThat(block.contains(ip("192.169.0.1"))).isFalse();
    assertThat(block.contains(ip("::1"))).isFalse();
    assertThat(Cidr.parse("::1").contains(ip("::1"))).isTrue();
    assertThat(Cidr.parse("10.1.2.3/8")).hasToString("10.0.0.0/8");
    assertThatThrownBy(() -> Cidr.parse("example.com/8")).hasMessageContaining("not an address");
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33")).hasMessageContaining("out of range");
  }
}
