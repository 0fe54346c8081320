package dev.authgate.client.cli.common;

import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A {@code --timeout}: a duration as {@link DurationConverter} reads it, more than zero. Every read
 * a server controls has a deadline; a zero one would be none (a socket's 0 waits forever).
 */
public final class TimeoutConverter implements ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    Duration timeout = new DurationConverter().convert(value);
    if (timeout.isZero() || timeout.isNegative()) {
      throw new TypeConversionException(
          "'" + value + "' would wait forever; give a time, e.g. 500ms, 10s, 5m");
    }
    return timeout;
  }
}
