package dev.authgate.protocol.handshake;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.crypto.FrameSealer;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.X25519KeyPair;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.frame.FrameType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The client's side of one handshake: HELLO in, AUTH out, WELCOME in. Any step out of order, any
 * refusal and any server that cannot produce the server signature ends it with a {@link
 * ProtocolException}, after which the client must close without sending anything more.
 *
 * <p>Not thread-safe; one instance per connection.
 */
public final class ClientHandshake {
  private enum State {
    AWAIT_HELLO,
    AWAIT_WELCOME,
    DONE,
    FAILED
  }

  private final ClientIdentity identity;
  private final byte[] nonce;
  private final X25519KeyPair ephemeral;
  private State state = State.AWAIT_HELLO;
  private KeySchedule schedule;
  private byte[] authMessage;

  /**
   * A handshake for {@code identity}, drawing the nonce and ephemeral key from randomness now: made
   * right after the TCP connect, the key generation (a third of the client's handshake CPU) runs
   * while the server is still producing HELLO instead of after it arrives.
   */
  public ClientHandshake(ClientIdentity identity, RandomSource randomness) {
    this.identity = identity;
    this.nonce = randomness.bytes(Hello.CHALLENGE_BYTES);
    this.ephemeral = X25519KeyPair.generate(randomness);
  }

  /**
   * Consumes HELLO and returns the AUTH frame to send, in one array.
   *
   * @throws ProtocolException if the frame is not a valid HELLO of our version, or a refusal
   */
  public byte[] onHello(Frame frame) throws ProtocolException {
    expect(State.AWAIT_HELLO);
    state = State.FAILED;
    Hello hello =
        switch (HandshakeMessage.decode(frame)) {
          case Hello h -> h;
          case Refusal r -> throw refused(r);
          case Auth a -> throw unexpected("AUTH");
          case Welcome w -> throw unexpected("WELCOME");
        };
    byte[] shared = ephemeral.agree(hello.serverPublic());
    Auth clear = new Auth(HandshakeMessage.VERSION, nonce, ephemeral.publicKey(), new byte[0]);
    schedule = new KeySchedule(hello.encode(), clear.clearPart(), shared);
    authMessage = schedule.authMessage(identity.clientId(), identity.keyId());
    byte[] proof = identity.keys().clientProof(authMessage);
    byte[] plain = new Identity(identity.clientId(), identity.keyId(), proof).encode();
    byte[] header = FrameCodec.header(FrameType.AUTH, Auth.PAYLOAD_BYTES);
    byte[] aad =
        ByteBuffer.allocate(header.length + Auth.CLEAR_BYTES)
            .put(header)
            .put(clear.clearPart())
            .array();
    byte[] sealed = new FrameSealer(schedule.handshakeClientToServer()).seal(aad, plain);
    Auth auth = new Auth(HandshakeMessage.VERSION, nonce, ephemeral.publicKey(), sealed);
    state = State.AWAIT_WELCOME;
    return FrameCodec.encode(FrameType.AUTH, auth.encode());
  }

  /**
   * Consumes WELCOME, checks the server signature in constant time and returns the session.
   *
   * @throws ProtocolException {@link Reason#REFUSED} if the server refused us, {@link
   *     Reason#SERVER_NOT_VERIFIED} if it cannot prove it holds our verifier
   */
  public Established onWelcome(Frame frame) throws ProtocolException {
    expect(State.AWAIT_WELCOME);
    state = State.FAILED;
    Welcome welcome =
        switch (HandshakeMessage.decode(frame)) {
          case Welcome w -> w;
          case Refusal r -> throw refused(r);
          case Hello h -> throw unexpected("HELLO");
          case Auth a -> throw unexpected("AUTH");
        };
    byte[] plain;
    try {
      plain =
          new FrameSealer(schedule.handshakeServerToClient())
              .open(frame.header(), welcome.sealed());
    } catch (ProtocolException e) {
      throw new ProtocolException(
          Reason.SERVER_NOT_VERIFIED, "the server's WELCOME did not open under the handshake key");
    }
    if (plain.length < 33 || plain.length != 33 + (plain[32] & 0xff)) {
      throw new ProtocolException(Reason.MALFORMED, "WELCOME layout is invalid");
    }
    byte[] expected = identity.keys().verifier().serverSignature(authMessage);
    if (!MessageDigest.isEqual(expected, Arrays.copyOf(plain, 32))) {
      throw new ProtocolException(
          Reason.SERVER_NOT_VERIFIED,
          "the server could not prove it holds the verifier for client " + identity.clientId());
    }
    String serverId = new String(plain, 33, plain.length - 33, StandardCharsets.UTF_8);
    state = State.DONE;
    return new Established(
        serverId, schedule.sessionKeys(authMessage, identity.keys().clientKey()));
  }

  private void expect(State wanted) {
    if (state != wanted) {
      throw new IllegalStateException("handshake is " + state + ", not " + wanted);
    }
  }

  private static ProtocolException refused(Refusal refusal) {
    Reason reason =
        switch (refusal.code()) {
          case AUTH_REFUSED -> Reason.REFUSED;
          case UNSUPPORTED_VERSION -> Reason.UNSUPPORTED_VERSION;
          case TIMEOUT -> Reason.HANDSHAKE_TIMEOUT;
          case TRY_LATER -> Reason.OVERLOADED;
          case PROTOCOL_ERROR -> Reason.MALFORMED;
        };
    return new ProtocolException(reason, "the server refused the connection: " + refusal.code());
  }

  private static ProtocolException unexpected(String what) {
    return new ProtocolException(Reason.MALFORMED, "unexpected " + what + " from the server");
  }

  /**
   * A completed client handshake.
   *
   * @param serverId the id the verified server gave
   * @param keys the session keys
   */
  public record Established(String serverId, SessionKeys keys) {}
}
