package dev.authgate.client.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ServerAddressTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "gate.example, gate.example, 7350",
    "gate.example:7351, gate.example, 7351",
    "10.0.0.1, 10.0.0.1, 7350",
    "10.0.0.1:1, 10.0.0.1, 1",
    "[::1], ::1, 7350",
    "'[::1]:65535', ::1, 65535",
    "'[fe80::1%eth0]:7350', fe80::1%eth0, 7350"
  })
  void hostWithOrWithoutAPortAndTheDefaultPort(String text, String host, int port) {
    assertThat(ServerAddress.parse(text)).isEqualTo(new ServerAddress(host, port));
  }

  @ParameterizedTest(name = "[{index}] ''{0}''")
  @ValueSource(
      strings = {
        "",
        ":7350",
        "host:",
        "host:0",
        "host:65536",
        "host:x",
        "::1",
        "[::1",
        "[::1]x",
        "[]:7350",
        "a:b:c"
      })
  void malformedAddressesAreRefusedWithTheExpectedForm(String text) {
    assertThatThrownBy(() -> ServerAddress.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "invalid server address '"
                + text
                + "': use HOST[:PORT], e.g. 127.0.0.1, 127.0.0.1:7350 or [::1]:7350");
  }

  @Test
  void printsIpv6InBrackets() {
    assertThat(new ServerAddress("::1", 7350)).hasToString("[::1]:7350");
    assertThat(new ServerAddress("gate", 7350)).hasToString("gate:7350");
  }
}
