package dev.authgate.client.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.client.datagram.DatagramSender;
import dev.authgate.protocol.datagram.Datagram;
import dev.authgate.protocol.session.ChatText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The sizes the documents promise are the ones the code enforces: a datagram's limit, the longest
 * line one holds, and a chat line over TCP, in OPERATIONS.md, CLIENT.md and PROTOCOL.md, and the
 * Python client's own constant.
 */
class DatagramLimitsDocumentedTest {
  private static final Path DOCS = Path.of("..", "docs");

  /** A number as the documents write it: thousands separated by a space ({@code 1 167}). */
  private static String written(int number) {
    return String.format(Locale.ROOT, "%,d", number).replace(',', ' ');
  }

  private static String doc(String name) throws IOException {
    return Files.readString(DOCS.resolve(name));
  }

  @Test
  void theDatagramLimitsInTheDocsAreTheCodes() throws IOException {
    assertThat(doc("OPERATIONS.md"))
        .contains("A datagram is at most " + written(Datagram.MAX_BYTES) + " bytes")
        .contains(
            "a line sent\nthat way holds at most "
                + written(DatagramSender.MAX_LINE_BYTES)
                + " bytes of UTF-8")
        .contains("over TCP a chat line holds " + written(ChatText.MAX_BYTES));
    assertThat(doc("CLIENT.md").replace('\n', ' '))
        .contains("over " + written(ChatText.MAX_BYTES) + " bytes")
        .contains(
            "longer than one datagram holds, "
                + written(DatagramSender.MAX_LINE_BYTES)
                + " bytes of UTF-8");
    assertThat(doc("PROTOCOL.md"))
        .contains("A datagram is at most **" + written(Datagram.MAX_BYTES) + "** bytes")
        .contains("at most " + written(DatagramSender.MAX_LINE_BYTES) + " bytes)");
  }

  @Test
  void thePythonClientsLongestDatagramLineIsTheJavaClients() throws IOException {
    String protocol =
        Files.readString(Path.of("..", "clients", "python", "authgate", "protocol.py"));
    assertThat(protocol)
        .contains("DATAGRAM_MAX = " + Datagram.MAX_BYTES + "\n")
        .contains("DATAGRAM_MAX_LINE = DATAGRAM_MAX - 16 - 16 - 1\n");
    assertThat(Datagram.MAX_BYTES - 16 - 16 - 1).isEqualTo(DatagramSender.MAX_LINE_BYTES);
  }
}
