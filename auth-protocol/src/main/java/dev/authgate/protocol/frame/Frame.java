package dev.authgate.protocol.frame;

import java.util.Objects;

/**
 * One decoded frame. {@code header} is the exact 5 bytes read from the wire, kept because sealed
 * frames authenticate it as associated data.
 *
 * @param type the frame type
 * @param header the 5 header bytes as received (type, 32-bit big-endian length)
 * @param payload the payload; the array is owned by the frame's holder
 */
public record Frame(FrameType type, byte[] header, byte[] payload) {
  /** Validates non-null parts. */
  public Frame {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(payload, "payload");
  }

  @Override
  public String toString() {
    return "Frame[" + type + ", " + payload.length + " bytes]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Frame f
        && f.type == type
        && java.util.Arrays.equals(f.header, header)
        && java.util.Arrays.equals(f.payload, payload);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, java.util.Arrays.hashCode(payload));
  }
}
