package dev.authgate.client.cli.common;

import dev.authgate.protocol.text.Sizes;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Parses byte sizes: {@code 1048576}, {@code 512K}, {@code 100M}, {@code 10G}, {@code 1T} (powers
 * of 1024), as {@link Sizes} does.
 */
public final class SizeConverter implements ITypeConverter<Long> {
  @Override
  public Long convert(String value) {
    try {
      return Sizes.parse(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
