package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jline.reader.LineReader;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.junit.jupiter.api.Test;

/** The interactive chat's line editor returns exactly what was typed. */
class ChatLineEditorTest {
  @Test
  void backslashesQuotesBangsAndUnicodeArriveAsTyped() throws IOException {
    List<String> typed =
        List.of(
            "C:\\temp\\new",
            "it's a \"test",
            "ends with a backslash\\",
            "!! and !$ are not history",
            "tab\\t is two characters, é and 日本 and 🙂 are one each",
            "\\\\server\\share");
    String input = String.join("\n", typed) + "\n";
    try (Terminal terminal =
        TerminalBuilder.builder()
            .system(false)
            .dumb(true)
            .streams(
                new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                new ByteArrayOutputStream())
            .encoding(StandardCharsets.UTF_8)
            .build()) {
      LineReader reader = ChatLineEditor.lineReader(terminal);
      for (String line : typed) {
        assertThat(reader.readLine("> ")).isEqualTo(line);
      }
    }
  }
}
