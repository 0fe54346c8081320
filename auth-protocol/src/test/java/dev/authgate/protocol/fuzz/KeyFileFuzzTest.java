package dev.authgate.protocol.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.authgate.protocol.keyfile.ClientIds;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.TokenFile;
import dev.authgate.protocol.session.UploadNames;
import dev.authgate.protocol.text.TerminalText;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;

/**
 * Fuzz targets for the text formats an operator or a peer can hand us: key files, credential files,
 * ids and upload names. Only {@link KeyFileException} may escape a parser; what parses formats to
 * text that parses to the same thing; the validators never throw and never let through what their
 * rule forbids.
 */
@Tag("system")
class KeyFileFuzzTest {
  private static final Path FILE = Path.of("fuzz.keys");

  @FuzzTest
  void keyFilesThatParseFormatBackToTheSameKeys(FuzzedDataProvider data) throws KeyFileException {
    String text = data.consumeRemainingAsString();
    ClientKeys keys;
    try {
      keys = ClientKeys.parse(FILE, text);
    } catch (KeyFileException expected) {
      return;
    }
    assertThat(ClientIds.isValid(keys.clientId())).isTrue();
    ClientKeys again = ClientKeys.parse(FILE, keys.format());
    assertThat(again.format()).isEqualTo(keys.format());
  }

  @FuzzTest
  void tokenFilesThatParseFormatBackToTheSameToken(FuzzedDataProvider data)
      throws KeyFileException {
    String text = data.consumeRemainingAsString();
    TokenFile token;
    try {
      token = TokenFile.parse(FILE, text);
    } catch (KeyFileException expected) {
      return;
    }
    assertThat(token.used()).isNotNegative();
    assertThat(token.uses()).isPositive();
    TokenFile again = TokenFile.parse(FILE, token.format());
    assertThat(again.format()).isEqualTo(token.format());
  }

  @FuzzTest
  void credentialsThatParseFormatBackToTheSameCredential(FuzzedDataProvider data)
      throws KeyFileException {
    String text = data.consumeRemainingAsString();
    Credential credential;
    try {
      credential = Credential.parse(FILE, text);
    } catch (KeyFileException expected) {
      return;
    }
    assertThat(Credential.parse(FILE, credential.format()).format()).isEqualTo(credential.format());
  }

  @FuzzTest
  void idAndNameRulesNeverThrowAndNeverPassWhatTheyForbid(FuzzedDataProvider data) {
    String text = data.consumeRemainingAsString();
    if (ClientIds.isValid(text)) {
      assertThat(text).matches("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}");
    }
    assertThat(TerminalText.hasUnsafe(ClientIds.printable(text))).isFalse();
    assertThat(TerminalText.hasUnsafe(TerminalText.escape(text))).isFalse();
    if (UploadNames.problem(text) == null) {
      assertThat(text).isNotEmpty().isNotIn(".", "..").doesNotContain("/", "\\");
      assertThat(TerminalText.hasUnsafe(text)).isFalse();
    }
  }
}
