package dev.authgate.protocol.handshake;

import dev.authgate.protocol.PenalizedException;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.crypto.FrameSealer;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.X25519KeyPair;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.frame.FrameType;
import dev.authgate.protocol.identity.HostKeyCheck;
import dev.authgate.protocol.identity.HostKeySet;
import dev.authgate.protocol.identity.HostPublicKey;
import dev.authgate.protocol.keyfile.ClientIdentity;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The client's side of one handshake: HELLO in, AUTH out, WELCOME in. HELLO's host-key signature is
 * verified and the key checked against the client's pins before AUTH is made, so a server that
 * cannot sign with a pinned host key never receives a proof (the verifiers alone are not enough to
 * pose as the server). Any step out of order, any refusal and any server that cannot produce the
 * server signature ends it with a {@link ProtocolException}, after which the client must close
 * without sending anything more.
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
  private final HostKeyCheck hostKeyCheck;
  private final byte[] nonce;
  private final X25519KeyPair ephemeral;
  private State state = State.AWAIT_HELLO;
  private KeySchedule schedule;
  private byte[] authMessage;
  private HostPublicKey hostKey;

  /**
   * A handshake for {@code identity}, drawing the nonce and ephemeral key from randomness now: made
   * right after the TCP connect, the key generation (a third of the client's handshake CPU) runs
   * while the server is still producing HELLO instead of after it arrives.
   *
   * @param hostKeyCheck decides on the host key that signed HELLO, before AUTH is made
   */
  public ClientHandshake(
      ClientIdentity identity, HostKeyCheck hostKeyCheck, RandomSource randomness) {
    this.identity = identity;
    this.hostKeyCheck = hostKeyCheck;
    this.nonce = randomness.bytes(Hello.CHALLENGE_BYTES);
    this.ephemeral = X25519KeyPair.generate(randomness);
  }

  /**
   * Consumes HELLO and returns the AUTH frame to send, in one array.
   *
   * @throws ProtocolException if the frame is not a valid HELLO of our version, or a refusal;
   *     {@link Reason#SERVER_NOT_VERIFIED} if its signature does not verify; {@link
   *     Reason#HOST_KEY_NOT_TRUSTED} if the check refuses the key that signed it
   */
  public byte[] onHello(Frame frame) throws ProtocolException {
    expect(State.AWAIT_HELLO);
    state = State.FAILED;
    Hello hello =
        switch (HandshakeMessage.decode(frame)) {
          case Hello h -> h;
          case Refusal r -> throw refused(r, identity.clientId());
          case Auth a -> throw unexpected("AUTH");
          case Welcome w -> throw unexpected("WELCOME");
        };
    hostKey = hello.verifiedHostKey();
    hostKeyCheck.check(hostKey);
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
          case Refusal r -> throw refused(r, identity.clientId());
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
    int idEnd = plain.length < 33 ? -1 : 33 + (plain[32] & 0xff);
    if (idEnd < 34 || plain.length < idEnd + 1) {
      throw new ProtocolException(Reason.MALFORMED, "WELCOME layout is invalid");
    }
    byte[] expected = identity.keys().verifier().serverSignature(authMessage);
    if (!MessageDigest.isEqual(expected, Arrays.copyOf(plain, 32))) {
      throw new ProtocolException(
          Reason.SERVER_NOT_VERIFIED,
          "the server could not prove it holds the verifier for client " + identity.clientId());
    }
    String serverId = new String(plain, 33, idEnd - 33, StandardCharsets.UTF_8);
    Announced announced = announcements(plain, idEnd);
    state = State.DONE;
    return new Established(
        serverId,
        schedule.sessionKeys(authMessage, identity.keys().clientKey()),
        hostKey,
        announced.next(),
        announced.retired(),
        announced.rotation());
  }

  private record Announced(
      List<HostPublicKey> next, List<String> retired, VerifierLookup.RotationAsk rotation) {}

  /** {@code count u8 | count × (kind u8 | 32 bytes)} after the server id (PROTOCOL.md §4.3). */
  private static Announced announcements(byte[] plain, int at) throws ProtocolException {
    int count = plain[at] & 0xff;
    if (count > HostKeySet.MAX_ANNOUNCED + 1
        || plain.length != at + 1 + count * Welcome.ANNOUNCEMENT_BYTES) {
      throw new ProtocolException(Reason.MALFORMED, "WELCOME's host key announcements are invalid");
    }
    List<HostPublicKey> next = new ArrayList<>();
    List<String> retired = new ArrayList<>();
    VerifierLookup.RotationAsk rotation = null;
    for (int i = 0, p = at + 1; i < count; i++, p += Welcome.ANNOUNCEMENT_BYTES) {
      byte[] value = Arrays.copyOfRange(plain, p + 1, p + Welcome.ANNOUNCEMENT_BYTES);
      switch (plain[p]) {
        case Welcome.NEXT_KEY -> {
          try {
            next.add(HostPublicKey.of(value));
          } catch (IllegalArgumentException e) {
            throw new ProtocolException(
                Reason.MALFORMED, "WELCOME announces a next host key that is not an Ed25519 key");
          }
        }
        case Welcome.RETIRED_KEY -> retired.add(HostPublicKey.fingerprintOfHash(value));
        case Welcome.ROTATE_KEY -> {
          long refuseAfter = java.nio.ByteBuffer.wrap(value).getLong();
          boolean padded = true;
          for (int z = 8; z < value.length; z++) {
            padded &= value[z] == 0;
          }
          // Past 9999-12-31T23:59:59Z no date names it: a hostile server's bytes, not a deadline.
          if (rotation != null || !padded || refuseAfter < 0 || refuseAfter > 253_402_300_799L) {
            throw new ProtocolException(
                Reason.MALFORMED, "WELCOME's rotate announcement is invalid");
          }
          rotation =
              new VerifierLookup.RotationAsk(
                  refuseAfter == 0 ? null : java.time.Instant.ofEpochSecond(refuseAfter));
        }
        default ->
            throw new ProtocolException(
                Reason.MALFORMED, "WELCOME announces a host key of unknown kind " + plain[p]);
      }
    }
    if (next.size() + retired.size() > HostKeySet.MAX_ANNOUNCED) {
      throw new ProtocolException(Reason.MALFORMED, "WELCOME's host key announcements are invalid");
    }
    return new Announced(List.copyOf(next), List.copyOf(retired), rotation);
  }

  private void expect(State wanted) {
    if (state != wanted) {
      throw new IllegalStateException("handshake is " + state + ", not " + wanted);
    }
  }

  /**
   * What a refusal means to this client. A pending, revoked or expired key is told only to a client
   * whose proof verified, so saying which is no help to a stranger.
   */
  private static ProtocolException refused(Refusal refusal, String clientId) {
    return switch (refusal.code()) {
      case PENALIZED -> new PenalizedException(Duration.ofSeconds(refusal.retryAfterSeconds()));
      case PENDING_APPROVAL ->
          new ProtocolException(
              Reason.PENDING_APPROVAL,
              "waiting for approval: the operator has not let this machine in yet (on the"
                  + " server: auth-server keys approve "
                  + clientId
                  + ")");
      case KEY_REVOKED ->
          new ProtocolException(
              Reason.REVOKED_KEY, "the operator revoked this key (or denied this machine)");
      case KEY_EXPIRED ->
          new ProtocolException(
              Reason.EXPIRED_KEY, "this key has expired: ask the operator for a new credential");
      case KEY_LOCKED ->
          new ProtocolException(
              Reason.CLONE_SUSPECTED,
              "the server locked "
                  + clientId
                  + ": a copy of this credential was used after the other copy rotated its key"
                  + " (on the server: auth-server keys unlock "
                  + clientId
                  + ", or keys rotate it)");
      case AUTH_REFUSED -> refusedAs(Reason.REFUSED, refusal);
      case UNSUPPORTED_VERSION -> refusedAs(Reason.UNSUPPORTED_VERSION, refusal);
      case TIMEOUT -> refusedAs(Reason.HANDSHAKE_TIMEOUT, refusal);
      case TRY_LATER -> refusedAs(Reason.OVERLOADED, refusal);
      case PROTOCOL_ERROR -> refusedAs(Reason.MALFORMED, refusal);
    };
  }

  private static ProtocolException refusedAs(Reason reason, Refusal refusal) {
    return new ProtocolException(
        reason,
        "the server refused the connection: "
            + refusal.code().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
  }

  private static ProtocolException unexpected(String what) {
    return new ProtocolException(Reason.MALFORMED, "unexpected " + what + " from the server");
  }

  /**
   * A completed client handshake.
   *
   * @param serverId the id the verified server gave
   * @param keys the session keys
   * @param hostKey the host key that signed HELLO (and passed the check)
   * @param nextHostKeys keys the server announced it will sign with after a rotation: pin them
   * @param retiredHostKeys fingerprints the server says are retired: stop trusting them
   * @param rotation the server asks this client to rotate its key in this session (null: no)
   */
  public record Established(
      String serverId,
      SessionKeys keys,
      HostPublicKey hostKey,
      List<HostPublicKey> nextHostKeys,
      List<String> retiredHostKeys,
      VerifierLookup.RotationAsk rotation) {}
}
