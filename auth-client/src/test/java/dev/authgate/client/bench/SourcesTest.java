package dev.authgate.client.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The local addresses of a load test: literals and IPv4 ranges, nothing looked up. */
class SourcesTest {
  @Test
  void literalsAndRangesExpandInOrder() {
    assertThat(Sources.parse(List.of("127.0.0.9", "127.0.0.254-127.0.1.1", "::1")))
        .extracting(InetAddress::getHostAddress)
        .containsExactly(
            "127.0.0.9", "127.0.0.254", "127.0.0.255", "127.0.1.0", "127.0.1.1", "0:0:0:0:0:0:0:1");
    assertThat(Sources.parse(List.of())).isEmpty();
  }

  @Test
  void namesReversedRangesIpv6RangesAndHugeRangesAreRefusedByName() {
    assertThatThrownBy(() -> Sources.parse(List.of("localhost")))
        .hasMessage("--sources localhost: not an IP address");
    assertThatThrownBy(() -> Sources.parse(List.of("127.0.0.9-127.0.0.1")))
        .hasMessage("--sources 127.0.0.9-127.0.0.1: the range ends before it starts");
    assertThatThrownBy(() -> Sources.parse(List.of("::1-::2")))
        .hasMessage("--sources ::1-::2: ranges are IPv4 only");
    assertThatThrownBy(() -> Sources.parse(List.of("10.0.0.0-10.255.255.255")))
        .hasMessage("--sources: more than 65536 addresses");
  }
}
