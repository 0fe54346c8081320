package dev.authgate.protocol.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.proxy.ProxyHeader.Command;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class ProxyHeaderTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final String SIGNATURE = "0d0a0d0a000d0a515549540a";

  /** HAProxy's send-proxy-v2 for 192.0.2.7:51000 -> 127.0.0.1:7350, no extensions. */
  private static final String TCP4 =
      SIGNATURE + "21" + "11" + "000c" + "c0000207" + "7f000001" + "c738" + "1cb6";

  private static byte[] bytes(String hex) {
    return HEX.parseHex(hex);
  }

  @Test
  void anIpv4HeaderNamesTheClientAndTheAddressItConnectedTo() throws Exception {
    ProxyHeader header = ProxyHeader.parse(bytes(TCP4));

    assertThat(header.command()).isEqualTo(Command.PROXY);
    assertThat(header.source()).isEqualTo(new InetSocketAddress("192.0.2.7", 51000));
    assertThat(header.destination()).isEqualTo(new InetSocketAddress("127.0.0.1", 7350));
    assertThat(header.length()).isEqualTo(28);
  }

  @Test
  void anIpv6HeaderNamesTheClient() throws Exception {
    String hex =
        SIGNATURE
            + "21"
            + "21"
            + "0024"
            + "20010db8000000000000000000000001"
            + "00000000000000000000000000000001"
            + "d431"
            + "1cb6";

    ProxyHeader header = ProxyHeader.parse(bytes(hex));

    assertThat(header.source()).isEqualTo(new InetSocketAddress("2001:db8::1", 54321));
    assertThat(header.destination()).isEqualTo(new InetSocketAddress("::1", 7350));
  }

  @Test
  void readingConsumesTheHeaderAndNotOneByteOfWhatFollows() throws Exception {
    InputStream in = new ByteArrayInputStream(bytes(TCP4 + "abcdef"));

    ProxyHeader.read(in);

    assertThat(in.readAllBytes()).isEqualTo(bytes("abcdef"));
  }

  @Test
  void extensionsAfterTheAddressesAreSkippedWhenTheyFit() throws Exception {
    // PP2_TYPE_ALPN "h2" and PP2_TYPE_NOOP of length 0.
    String hex =
        SIGNATURE
            + "21"
            + "11"
            + "0014"
            + "c0000207"
            + "7f000001"
            + "c738"
            + "1cb6"
            + "010002"
            + "6832"
            + "040000";

    ProxyHeader header = ProxyHeader.parse(bytes(hex));

    assertThat(header.source().getPort()).isEqualTo(51000);
    assertThat(header.length()).isEqualTo(36);
  }

  @Test
  void aLocalHeaderNamesNoClientWhateverAddressesItCarries() throws Exception {
    String hex = SIGNATURE + "20" + "11" + "000c" + "c0000207" + "7f000001" + "c738" + "1cb6";

    ProxyHeader header = ProxyHeader.parse(bytes(hex));

    assertThat(header.command()).isEqualTo(Command.LOCAL);
    assertThat(header.source()).isNull();
  }

  @Test
  void unspecifiedAndUnixFamiliesNameNoTcpClient() throws Exception {
    assertThat(ProxyHeader.parse(bytes(SIGNATURE + "21" + "00" + "0000")).source()).isNull();
    String unix = SIGNATURE + "21" + "31" + "00d8" + "00".repeat(216);
    assertThat(ProxyHeader.parse(bytes(unix)).source()).isNull();
  }

  @Test
  void whatIsEncodedParsesBackToTheSameHeader() throws Exception {
    ProxyHeader v4 =
        new ProxyHeader(
            Command.PROXY,
            new InetSocketAddress("192.0.2.7", 51000),
            new InetSocketAddress("127.0.0.1", 7350),
            28);
    ProxyHeader v6 =
        new ProxyHeader(
            Command.PROXY,
            new InetSocketAddress("2001:db8::7", 1),
            new InetSocketAddress("::1", 65535),
            52);
    ProxyHeader local = new ProxyHeader(Command.LOCAL, null, null, 16);

    assertThat(HEX.formatHex(v4.encode())).isEqualTo(TCP4);
    for (ProxyHeader header : new ProxyHeader[] {v4, v6, local}) {
      assertThat(ProxyHeader.parse(header.encode())).isEqualTo(header);
    }
  }

  @Test
  void bytesWithoutTheSignatureAreRefused() {
    assertRefused("16030100" + "00".repeat(12), "no PROXY protocol v2 signature");
  }

  @Test
  void aVersionOneTextHeaderIsNamedAndRefused() {
    byte[] v1 = "PROXY TCP4 192.0.2.7 127.0.0.1 51000 7350\r\n".getBytes(StandardCharsets.US_ASCII);
    assertRefused(HEX.formatHex(v1), "version 1");
  }

  @Test
  void anotherVersionCommandFamilyOrTransportIsRefused() {
    assertRefused(SIGNATURE + "11" + "11" + "000c" + "00".repeat(12), "version 1");
    assertRefused(SIGNATURE + "22" + "11" + "000c" + "00".repeat(12), "unknown PROXY command 2");
    assertRefused(SIGNATURE + "21" + "41" + "000c" + "00".repeat(12), "address family 4");
    assertRefused(SIGNATURE + "21" + "13" + "000c" + "00".repeat(12), "transport 3");
    assertRefused(SIGNATURE + "21" + "12" + "000c" + "00".repeat(12), "datagram");
  }

  @Test
  void aLengthOverTheCapIsRefusedBeforeAnyOfItIsRead() {
    byte[] fixed = bytes(SIGNATURE + "21" + "11" + "ffff");
    InputStream in =
        new InputStream() {
          int at;

          @Override
          public int read() throws IOException {
            if (at >= fixed.length) {
              throw new AssertionError("read past the fixed part");
            }
            return fixed[at++] & 0xFF;
          }
        };

    assertThatThrownBy(() -> ProxyHeader.read(in))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("65551 bytes; at most 1040");
  }

  @Test
  void aLengthTooShortForTheAddressesIsRefused() {
    assertRefused(SIGNATURE + "21" + "11" + "000b" + "00".repeat(11), "too short");
    assertRefused(SIGNATURE + "21" + "21" + "000c" + "00".repeat(12), "too short");
  }

  @Test
  void anExtensionThatRunsPastTheHeaderIsRefused() {
    String addresses = "c0000207" + "7f000001" + "c738" + "1cb6";
    assertRefused(SIGNATURE + "21" + "11" + "0010" + addresses + "0100056832", "runs past");
    assertRefused(SIGNATURE + "21" + "11" + "000e" + addresses + "0100", "cut short");
  }

  @Test
  void aStreamThatEndsEarlyIsEndOfStreamNotAMalformedHeader() {
    assertThatThrownBy(() -> ProxyHeader.read(new ByteArrayInputStream(new byte[0])))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("before the PROXY header");
    assertThatThrownBy(() -> ProxyHeader.read(new ByteArrayInputStream(bytes(SIGNATURE + "21"))))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("inside");
    assertThatThrownBy(
            () -> ProxyHeader.read(new ByteArrayInputStream(bytes(TCP4.substring(0, 40)))))
        .isInstanceOf(EOFException.class);
  }

  @Test
  void eitherVersionIsRecognisedFromItsFirstBytes() {
    byte[] v2 = bytes(TCP4);
    byte[] v1 = "PROXY TCP4 ".getBytes(StandardCharsets.US_ASCII);
    byte[] frame = bytes("0201000000000000000000000000");

    assertThat(ProxyHeader.looksLikeHeader(v2, ProxyHeader.recognitionLength())).isTrue();
    assertThat(ProxyHeader.looksLikeHeader(v1, v1.length)).isTrue();
    assertThat(ProxyHeader.looksLikeHeader(frame, frame.length)).isFalse();
    assertThat(ProxyHeader.looksLikeHeader(v2, 5)).isFalse();
  }

  private static void assertRefused(String hex, String detail) {
    assertThatThrownBy(() -> ProxyHeader.parse(bytes(hex)))
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.reason()).isEqualTo(Reason.PROXY_HEADER))
        .hasMessageContaining(detail);
  }
}
