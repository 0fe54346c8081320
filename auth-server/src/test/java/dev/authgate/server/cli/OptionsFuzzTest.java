package dev.authgate.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.authgate.server.cli.convert.DurationConverter;
import dev.authgate.server.cli.convert.SizeConverter;
import java.io.StringReader;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;

/**
 * Fuzz targets for what an operator types or writes: durations, sizes and {@code --config} files. A
 * bad value must be a usage error that names it, never another exception.
 */
class OptionsFuzzTest {
  @FuzzTest
  void durationsParseOrAreAUsageError(FuzzedDataProvider data) {
    String text = data.consumeRemainingAsString();
    try {
      assertThat(new DurationConverter().convert(text)).isNotNull();
    } catch (CommandLine.TypeConversionException expected) {
      assertThat(expected.getMessage()).contains("duration");
    }
  }

  @FuzzTest
  void sizesParseToNonNegativeBytesOrAreAUsageError(FuzzedDataProvider data) {
    String text = data.consumeRemainingAsString();
    try {
      assertThat(new SizeConverter().convert(text)).isNotNegative();
    } catch (CommandLine.TypeConversionException expected) {
      assertThat(expected.getMessage()).contains("size");
    }
  }

  @FuzzTest
  void anyConfigFileEitherParsesOrIsAUsageError(FuzzedDataProvider data) throws Exception {
    Properties file;
    try {
      file = ConfigDefaults.parse(new StringReader(data.consumeRemainingAsString()));
    } catch (java.io.IOException expected) {
      assertThat(expected.getMessage()).startsWith("malformed file");
      return;
    }
    CommandLine cli = new CommandLine(new AuthServerCommand());
    cli.setDefaultValueProvider(new ConfigDefaults(file, Map.of()));
    try {
      cli.parseArgs("serve");
    } catch (CommandLine.PicocliException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }
}
