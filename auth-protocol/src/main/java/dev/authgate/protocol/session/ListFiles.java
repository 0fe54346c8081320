package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;

/**
 * Client to server: which published files may I fetch? Empty body. Answered by one or more {@link
 * FileListing} messages, the last without {@code more}.
 */
public record ListFiles() implements SessionMessage {
  static final byte TYPE = 0x50;

  @Override
  public int type() {
    return TYPE;
  }

  @Override
  public byte[] body() {
    return new byte[0];
  }

  static ListFiles decode(BodyReader in) throws ProtocolException {
    in.end();
    return new ListFiles();
  }
}
