package dev.authgate.protocol.text;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Sizes as an operator reads them in {@code keys list}, {@code keys set} and refusals. */
class SizesHumanTest {
  @Test
  void exactMultiplesAreWholeAndOthersHaveOneDecimal() {
    assertThat(Sizes.human(0)).isEqualTo("0 bytes");
    assertThat(Sizes.human(1)).isEqualTo("1 byte");
    assertThat(Sizes.human(1023)).isEqualTo("1023 bytes");
    assertThat(Sizes.human(1024)).isEqualTo("1 KiB");
    assertThat(Sizes.human(1536)).isEqualTo("1.5 KiB");
    assertThat(Sizes.human(52_428_800)).isEqualTo("50 MiB");
    assertThat(Sizes.human(62_914_561)).isEqualTo("60.0 MiB");
    assertThat(Sizes.human(2L << 30)).isEqualTo("2 GiB");
    assertThat(Sizes.human(Sizes.parse("10T"))).isEqualTo("10 TiB");
    assertThat(Sizes.human(Long.MAX_VALUE)).isEqualTo("8.0 EiB");
  }

  @Test
  void whatItPrintsForAWholeSizeParsesBack() {
    for (String size : new String[] {"1K", "512K", "100M", "10G", "3T"}) {
      long bytes = Sizes.parse(size);
      assertThat(Sizes.parse(Sizes.human(bytes).replace(" ", "").replace("iB", "")))
          .isEqualTo(bytes);
    }
  }
}
