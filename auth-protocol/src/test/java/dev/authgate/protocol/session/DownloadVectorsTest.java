package dev.authgate.protocol.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.crypto.Digests;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * docs/PROTOCOL.md §9.2, byte for byte: every download message of the worked example encodes to the
 * documented bytes and decodes back to the same message.
 */
class DownloadVectorsTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] CONTENT = "interval=60\n".getBytes(StandardCharsets.UTF_8);
  private static final byte[] SHA = Digests.sha256(CONTENT);
  private static final long MODIFIED = 1_795_000_000_000L;

  private static void pinned(SessionMessage message, String hex) throws ProtocolException {
    byte[] body = message.body();
    byte[] plain = new byte[1 + body.length];
    plain[0] = (byte) message.type();
    System.arraycopy(body, 0, plain, 1, body.length);
    assertThat(HEX.formatHex(plain)).isEqualTo(hex);
    assertThat(SessionMessage.decode(HEX.parseHex(hex))).isEqualTo(message);
  }

  @Test
  void theWorkedDownloadIsTheDocumentedBytes() throws ProtocolException {
    assertThat(HEX.formatHex(SHA))
        .isEqualTo("4eb8a89aada98a6ac16e2ccdb0dc5ecbc6fb514813992625e7f78aba4b14f359");
    pinned(new ListFiles(), "50");
    pinned(
        new FileListing(
            false, List.of(new FileListing.Entry("agent.conf", 12, MODIFIED, SHA, false))),
        "510000010a6167656e742e636f6e66000000000000000c000001a1ee565e00"
            + "4eb8a89aada98a6ac16e2ccdb0dc5ecbc6fb514813992625e7f78aba4b14f35900");
    pinned(
        new GetFile("agent.conf", 0, Digests.sha256(), false, new byte[32]),
        "520a6167656e742e636f6e660000000000000000"
            + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            + "00"
            + "0000000000000000000000000000000000000000000000000000000000000000");
    pinned(new GetReady(12, MODIFIED, 0), "53000000000000000c000001a1ee565e000000000000000000");
    pinned(new GetData(CONTENT, 0, CONTENT.length), "54696e74657276616c3d36300a");
    pinned(
        new GetEnd(GetEnd.Status.SENT, 12, SHA, "", "sent"),
        "5500000000000000000c"
            + "4eb8a89aada98a6ac16e2ccdb0dc5ecbc6fb514813992625e7f78aba4b14f359"
            + "00000473656e74");
  }

  @Test
  void theWorkedPollThatFindsNothingNewIsTheDocumentedBytes() throws ProtocolException {
    pinned(
        new GetFile("agent.conf", 0, Digests.sha256(), true, SHA),
        "520a6167656e742e636f6e660000000000000000"
            + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            + "01"
            + "4eb8a89aada98a6ac16e2ccdb0dc5ecbc6fb514813992625e7f78aba4b14f359");
    pinned(
        new GetEnd(GetEnd.Status.UNCHANGED, 12, SHA, "", "unchanged"),
        "5501000000000000000c"
            + "4eb8a89aada98a6ac16e2ccdb0dc5ecbc6fb514813992625e7f78aba4b14f359"
            + "000009756e6368616e676564");
  }

  @Test
  void aListingTheServerCannotMakeIsTheDocumentedBytes() throws ProtocolException {
    pinned(
        new ListRefused(
            "storage-error",
            "the server cannot read its published files now (its audit log says why)"),
        "560d73746f726167652d6572726f720047746865207365727665722063616e6e6f74207265616420"
            + "697473207075626c69736865642066696c6573206e6f772028697473206175646974206c6f672073"
            + "6179732077687929");
  }

  @Test
  void malformedDownloadMessagesAreRefused() {
    for (String hex :
        List.of(
            "5001", // LIST_FILES has no body
            "510200" + "00", // more is not a boolean
            "5100000102" + "2e2e" + "00".repeat(49), // a listed name that is not a file name
            "53000000000000000a0000000000000000000000000000000b", // offset past the size
            "54", // GET_DATA without data
            "5600" + "0000", // LIST_REFUSED without a reason
            "5601" + "61" + "0001", // LIST_REFUSED whose text is shorter than it says
            "5601" + "61" + "0000" + "00", // LIST_REFUSED with a byte after its text
            "5601" + "61" + "1001" + "61".repeat(4097), // LIST_REFUSED text over 4 096 bytes
            "5503" + "00".repeat(8 + 32) + "000000", // unknown status
            "520161" + "00".repeat(8 + 32) + "80" + "00".repeat(32))) { // unknown GET_FILE flag
      assertThatThrownBy(() -> SessionMessage.decode(HEX.parseHex(hex)))
          .as(hex)
          .isInstanceOf(ProtocolException.class);
    }
  }
}
