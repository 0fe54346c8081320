package dev.authgate.client.cli;

import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;

/** The line editor of {@code chat} on a terminal. */
final class ChatLineEditor {
  private ChatLineEditor() {}

  /**
   * A line editor that returns exactly what was typed: a chat line is text, not a shell command, so
   * backslashes, quotes and {@code !} are not escapes, quotes or history events, and a line ending
   * in a backslash or with an odd quote is complete, not continued.
   */
  static LineReader lineReader(Terminal terminal) {
    DefaultParser parser = new DefaultParser();
    parser.setEscapeChars(new char[0]);
    parser.setQuoteChars(new char[0]);
    parser.setEofOnUnclosedQuote(false);
    parser.setEofOnEscapedNewLine(false);
    return LineReaderBuilder.builder()
        .terminal(terminal)
        .appName("authgate")
        .parser(parser)
        .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
        .build();
  }
}
