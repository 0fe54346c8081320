package dev.authgate.protocol.text;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TerminalTextTest {
  @Test
  void escapeSequencesAndLineBreaksBecomeVisibleEscapes() {
    assertThat(TerminalText.escape("a\u001b]0;pwned\u0007b\r\nFORGED"))
        .isEqualTo("a\\u001b]0;pwned\\u0007b\\u000d\\u000aFORGED");
  }

  @Test
  void c1ControlsDelAndUnicodeSeparatorsAreEscaped() {
    assertThat(TerminalText.escape("x\u009b2Jy\u007f\u0085\u2028\u2029"))
        .isEqualTo("x\\u009b2Jy\\u007f\\u0085\\u2028\\u2029");
  }

  @Test
  void bidiControlsAreEscapedSoTextCannotBeShownReordered() {
    assertThat(TerminalText.escape("admin\u202egnp.exe\u2066\u2069\u200e\u200f\u061c"))
        .isEqualTo("admin\\u202egnp.exe\\u2066\\u2069\\u200e\\u200f\\u061c");
  }

  @Test
  void formatCharactersAreEscapedSoLookalikeIdsNeverLookAlike() {
    assertThat(TerminalText.escape("sensor-1\u200b")).isEqualTo("sensor-1\\u200b");
    assertThat(TerminalText.escape("\ufeffsensor-1")).isEqualTo("\\ufeffsensor-1");
    assertThat(TerminalText.escape("se\u00adnsor\u2060-1\u200d"))
        .isEqualTo("se\\u00adnsor\\u2060-1\\u200d");
  }

  @Test
  void loneSurrogatesAreEscapedAndPairsKept() {
    assertThat(TerminalText.escape("a\ud800b\ud83d\ude00")).isEqualTo("a\\ud800b\ud83d\ude00");
  }

  @Test
  void ordinaryTextIncludingBackslashesAndNonLatinScriptsIsUnchanged() {
    String text = "C:\\temp\\new — Grüße, 你好, שלום";
    assertThat(TerminalText.escape(text)).isSameAs(text);
    assertThat(TerminalText.escape(null)).isEqualTo("null");
  }

  @Test
  void everyEscapedResultIsFreeOfUnsafeCharacters() {
    StringBuilder all = new StringBuilder();
    for (int c = 0; c < 0x3000; c++) {
      all.appendCodePoint(c);
    }
    assertThat(TerminalText.hasUnsafe(TerminalText.escape(all.toString()))).isFalse();
  }
}
