package dev.authgate.protocol.datagram;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class DatagramTest {
  private static final byte[] SECRET = new byte[32];
  private static final byte[] CHANNEL = HexFormat.of().parseHex("0102030405060708");
  private static final DatagramKeys KEYS = DatagramKeys.derive(SECRET, CHANNEL);

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void whatOneSideSealsTheOtherOpensWithItsSequenceAndType() throws Exception {
    Datagram client = new Datagram(CHANNEL, KEYS.clientToServer());
    Datagram server = new Datagram(CHANNEL, KEYS.clientToServer());

    byte[] sealed = client.seal(42, 0x01, text("hello"));
    Datagram.Opened opened = server.open(sealed, sealed.length);

    assertThat(sealed).hasSize(Datagram.HEADER_BYTES + 1 + 5 + Datagram.TAG_BYTES);
    assertThat(Datagram.channelOf(sealed, sealed.length)).isEqualTo(0x0102030405060708L);
    assertThat(Datagram.sequenceOf(sealed, sealed.length)).isEqualTo(42);
    assertThat(opened.sequence()).isEqualTo(42);
    assertThat(opened.type()).isEqualTo(0x01);
    assertThat(opened.body()).isEqualTo(text("hello"));
  }

  @Test
  void everyBitOfTheDatagramIsAuthenticatedIncludingTheClearHeader() {
    Datagram sender = new Datagram(CHANNEL, KEYS.clientToServer());
    Datagram receiver = new Datagram(CHANNEL, KEYS.clientToServer());
    byte[] sealed = sender.seal(7, 0x01, text("hi"));
    for (int bit = Datagram.CHANNEL_ID_BYTES * 8; bit < sealed.length * 8; bit++) {
      byte[] flipped = sealed.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThatThrownBy(() -> receiver.open(flipped, flipped.length))
          .as("bit %d", bit)
          .isInstanceOf(ProtocolException.class);
    }
  }

  @Test
  void theDirectionsAndChannelsHaveKeysOfTheirOwn() {
    byte[] sealed = new Datagram(CHANNEL, KEYS.clientToServer()).seal(0, 1, text("x"));
    byte[] otherChannel = HexFormat.of().parseHex("0102030405060709");
    DatagramKeys other = DatagramKeys.derive(SECRET, otherChannel);

    assertThatThrownBy(
            () -> new Datagram(CHANNEL, KEYS.serverToClient()).open(sealed, sealed.length))
        .hasMessageContaining("does not open");
    assertThatThrownBy(
            () -> new Datagram(otherChannel, other.clientToServer()).open(sealed, sealed.length))
        .hasMessageContaining("another channel");
  }

  @Test
  void sizesOutsideOneDatagramAreRefused() {
    Datagram d = new Datagram(CHANNEL, KEYS.clientToServer());
    assertThatThrownBy(() -> d.seal(0, 1, new byte[Datagram.MAX_MESSAGE_BYTES]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(d.seal(0, 1, new byte[Datagram.MAX_MESSAGE_BYTES - 1])).hasSize(Datagram.MAX_BYTES);
    assertThatThrownBy(() -> d.open(new byte[Datagram.MIN_BYTES - 1], Datagram.MIN_BYTES - 1))
        .hasMessageContaining("bytes");
    assertThatThrownBy(() -> d.open(new byte[2000], Datagram.MAX_BYTES + 1))
        .hasMessageContaining("bytes");
  }
}
