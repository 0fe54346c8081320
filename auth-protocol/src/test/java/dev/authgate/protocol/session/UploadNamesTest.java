package dev.authgate.protocol.session;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UploadNamesTest {
  @Test
  void plainNamesIncludingNonLatinOnesAreAccepted() {
    assertThat(UploadNames.problem("build.log")).isNull();
    assertThat(UploadNames.problem("Grüße-你好.tar.gz")).isNull();
    assertThat(UploadNames.problem(".profile")).isNull();
  }

  @Test
  void pathsDotsAndReservedNamesAreRefused() {
    assertThat(UploadNames.problem("")).contains("empty");
    assertThat(UploadNames.problem("..")).contains("not a file name");
    assertThat(UploadNames.problem("a/b")).contains("'/'");
    assertThat(UploadNames.problem("a\\b")).contains("'\\'");
    assertThat(UploadNames.problem(".authgate-x")).contains("reserved");
    assertThat(UploadNames.problem("x".repeat(256))).contains("255 bytes");
  }

  @Test
  void controlBidiAndLineSeparatorCharactersAreRefused() {
    for (String name :
        new String[] {
          "a\u0000b",
          "a\nb",
          "a\u007fb",
          "a\u009bb",
          "report\u202efdp.exe",
          "a\u2066b",
          "a\u2028b",
          "a\u2029b",
          "a\u200eb",
          "a\u061cb"
        }) {
      assertThat(UploadNames.problem(name)).as(name).contains("control");
    }
  }
}
