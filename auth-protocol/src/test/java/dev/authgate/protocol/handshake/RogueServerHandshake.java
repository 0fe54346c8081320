package dev.authgate.protocol.handshake;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.crypto.FrameSealer;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.Verifier;
import dev.authgate.protocol.crypto.X25519KeyPair;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.frame.FrameType;
import dev.authgate.protocol.identity.HostKey;
import java.nio.ByteBuffer;

/**
 * A server that does not hold the client's verifier but follows the protocol otherwise: it reads
 * the client's identity, skips the proof check and signs WELCOME with a key of its own choosing. A
 * correct client must refuse it. It signs HELLO with {@link #HOST}, which tests pin, so that what
 * is tested is the WELCOME check (a rogue without the pinned host key is refused before AUTH).
 * Test-only.
 */
public final class RogueServerHandshake {
  /** The host key this rogue signs HELLO with. */
  public static final HostKey HOST = HostKey.generate(RandomSource.secure());

  private final X25519KeyPair ephemeral = X25519KeyPair.generate(RandomSource.secure());
  private final Verifier guessed;
  private byte[] helloPayload;

  /** A rogue that signs with {@code guessed}'s ServerKey. */
  public RogueServerHandshake(Verifier guessed) {
    this.guessed = guessed;
  }

  /** The HELLO frame. */
  public byte[] hello() {
    helloPayload =
        Hello.signed(
                HandshakeMessage.VERSION,
                RandomSource.secure().bytes(32),
                ephemeral.publicKey(),
                HOST)
            .encode();
    return FrameCodec.encode(FrameType.HELLO, helloPayload);
  }

  /** A WELCOME that opens correctly but carries a signature made with the guessed key. */
  public byte[] welcome(Frame authFrame) throws ProtocolException {
    return welcome(authFrame, new byte[] {0});
  }

  /**
   * A WELCOME signed with the guessed key whose bytes after the server id are {@code announcements}
   * (the count and entries, however malformed).
   */
  public byte[] welcome(Frame authFrame, byte[] announcements) throws ProtocolException {
    Auth auth = (Auth) HandshakeMessage.decode(authFrame);
    KeySchedule schedule =
        new KeySchedule(helloPayload, auth.clearPart(), ephemeral.agree(auth.clientPublic()));
    byte[] aad =
        ByteBuffer.allocate(FrameCodec.HEADER_BYTES + Auth.CLEAR_BYTES)
            .put(authFrame.header())
            .put(auth.clearPart())
            .array();
    Identity identity =
        Identity.decode(
            new FrameSealer(schedule.handshakeClientToServer()).open(aad, auth.sealedIdentity()));
    byte[] t = schedule.authMessage(identity.clientId(), identity.keyId());
    byte[] plain =
        ByteBuffer.allocate(34 + announcements.length)
            .put(guessed.serverSignature(t))
            .put((byte) 1)
            .put((byte) 'x')
            .put(announcements)
            .array();
    byte[] header = FrameCodec.header(FrameType.WELCOME, plain.length + FrameSealer.TAG_BYTES);
    return FrameCodec.encode(
        FrameType.WELCOME, new FrameSealer(schedule.handshakeServerToClient()).seal(header, plain));
  }
}
