package dev.authgate.server.cli.convert;

import dev.authgate.server.log.LogFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** "text" or "json", case-insensitive; anything else is a usage error naming both. */
public final class LogFormatConverter implements ITypeConverter<LogFormat>, Iterable<String> {
  @Override
  public Iterator<String> iterator() {
    return List.of("text", "json").iterator();
  }

  @Override
  public LogFormat convert(String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "text" -> LogFormat.TEXT;
      case "json" -> LogFormat.JSON;
      default ->
          throw new TypeConversionException(
              "'" + value + "' is not a log format; use text or json");
    };
  }
}
