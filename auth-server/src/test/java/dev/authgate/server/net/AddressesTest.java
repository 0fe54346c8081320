package dev.authgate.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Addresses print as people write them (RFC 5952 for IPv6). */
class AddressesTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "0:0:0:0:0:0:0:1, ::1",
    "0:0:0:0:0:0:0:0, ::",
    "2001:db8:0:0:0:0:2:1, 2001:db8::2:1",
    "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
    "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
    "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
    "fe80:0:0:0:0:0:0:1%eth0, fe80::1%eth0",
    "2001:DB8:0:0:0:0:0:A, 2001:db8::a",
    "1:0:0:0:0:0:0:0, 1::",
    "192.0.2.7, 192.0.2.7",
    "not:an:address, not:an:address"
  })
  void ipv6IsCompactedTheRfc5952Way(String java, String compact) {
    assertThat(Addresses.compactIpv6(java)).isEqualTo(compact);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "::1, '[::1]:7350'",
    "127.0.0.1, 127.0.0.1:7350",
    "2001:db8::1, '[2001:db8::1]:7350'"
  })
  void socketAddressesPrintCompact(String host, String printed) throws Exception {
    assertThat(Addresses.format(new InetSocketAddress(InetAddress.getByName(host), 7350)))
        .isEqualTo(printed);
  }
}
