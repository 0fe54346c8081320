package dev.authgate.protocol.handshake;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.crypto.Digests;
import dev.authgate.protocol.crypto.FrameSealer;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.Verifier;
import dev.authgate.protocol.crypto.X25519KeyPair;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.frame.FrameType;
import dev.authgate.protocol.handshake.VerifierLookup.KeyRecord;
import dev.authgate.protocol.handshake.VerifierLookup.RotationAsk;
import dev.authgate.protocol.identity.HostKeySet;
import dev.authgate.protocol.identity.HostPublicKey;
import dev.authgate.protocol.keyfile.ClientIds;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The server's side of one handshake: HELLO out, AUTH in, WELCOME out. A failure throws a {@link
 * ProtocolException} whose reason is for the audit log only; the client is sent {@link
 * #refusalFrame(Reason)}, which is the same for an unknown client and a wrong proof (a client whose
 * proof verified is told its key is pending, revoked or expired: it holds the secret).
 *
 * <p>An unknown client id is checked against a random dummy verifier so that it costs the same work
 * as a wrong proof. Not thread-safe; one instance per connection.
 */
public final class ServerHandshake {
  private enum State {
    NEW,
    AWAIT_AUTH,
    DONE,
    FAILED
  }

  private final VerifierLookup lookup;
  private final String serverId;
  private final HostKeySet hostKeys;
  private final RandomSource randomness;
  private final Supplier<X25519KeyPair> ephemerals;
  private final Verifier dummy;
  private State state = State.NEW;
  private X25519KeyPair ephemeral;
  private byte[] helloPayload;

  /**
   * @param lookup where verifiers come from
   * @param serverId the name the server gives verified clients; at most 255 bytes of UTF-8
   * @param hostKeys the host key that signs HELLO and the keys WELCOME announces
   * @param randomness the source of the challenge and ephemeral key
   */
  public ServerHandshake(
      VerifierLookup lookup, String serverId, HostKeySet hostKeys, RandomSource randomness) {
    this(lookup, serverId, hostKeys, randomness, () -> X25519KeyPair.generate(randomness));
  }

  /**
   * @param lookup where verifiers come from
   * @param serverId the name the server gives verified clients; at most 255 bytes of UTF-8
   * @param hostKeys the host key that signs HELLO and the keys WELCOME announces
   * @param randomness the source of the challenge
   * @param ephemerals a key pair no other handshake gets, for each call (e.g. an {@link
   *     dev.authgate.protocol.crypto.X25519KeyPool})
   */
  public ServerHandshake(
      VerifierLookup lookup,
      String serverId,
      HostKeySet hostKeys,
      RandomSource randomness,
      Supplier<X25519KeyPair> ephemerals) {
    this.lookup = lookup;
    this.serverId = serverId;
    this.hostKeys = hostKeys;
    this.randomness = randomness;
    this.ephemerals = ephemerals;
    this.dummy = new Verifier(randomness.bytes(32), randomness.bytes(32));
  }

  /**
   * The HELLO frame with a fresh challenge and ephemeral key, signed by the host key, in one array.
   */
  public byte[] hello() {
    if (state != State.NEW) {
      throw new IllegalStateException("HELLO already sent");
    }
    byte[] challenge = randomness.bytes(Hello.CHALLENGE_BYTES);
    ephemeral = ephemerals.get();
    helloPayload =
        Hello.signed(HandshakeMessage.VERSION, challenge, ephemeral.publicKey(), hostKeys.signing())
            .encode();
    state = State.AWAIT_AUTH;
    return FrameCodec.encode(FrameType.HELLO, helloPayload);
  }

  /**
   * Verifies AUTH.
   *
   * @return the verified client, the WELCOME frame to send and the session keys
   * @throws ProtocolException with the audit reason and the claimed ids, if any were decoded
   */
  public Accepted onAuth(Frame frame) throws ProtocolException {
    if (state != State.AWAIT_AUTH) {
      throw new IllegalStateException("handshake is " + state + ", not AWAIT_AUTH");
    }
    state = State.FAILED;
    Auth auth =
        switch (HandshakeMessage.decode(frame)) {
          case Auth a -> a;
          case Refusal r -> throw new ProtocolException(Reason.MALFORMED, "client sent REFUSED");
          case Hello h -> throw new ProtocolException(Reason.MALFORMED, "client sent HELLO");
          case Welcome w -> throw new ProtocolException(Reason.MALFORMED, "client sent WELCOME");
        };
    KeySchedule schedule =
        new KeySchedule(helloPayload, auth.clearPart(), ephemeral.agree(auth.clientPublic()));
    Identity identity = openIdentity(frame, auth, schedule);
    byte[] authMessage = schedule.authMessage(identity.clientId(), identity.keyId());
    Optional<KeyRecord> record = findRecord(identity);
    byte[] clientKey = verify(identity, record, authMessage);
    KeyRecord key = record.orElseThrow();
    byte[] welcome = welcome(schedule, key.verifier(), authMessage, key.rotation());
    state = State.DONE;
    return new Accepted(
        identity.clientId(),
        identity.keyId(),
        welcome,
        schedule.sessionKeys(authMessage, clientKey),
        key.rotation() != null);
  }

  private static Identity openIdentity(Frame frame, Auth auth, KeySchedule schedule)
      throws ProtocolException {
    byte[] aad =
        ByteBuffer.allocate(FrameCodec.HEADER_BYTES + Auth.CLEAR_BYTES)
            .put(frame.header())
            .put(auth.clearPart())
            .array();
    try {
      return Identity.decode(
          new FrameSealer(schedule.handshakeClientToServer()).open(aad, auth.sealedIdentity()));
    } catch (ProtocolException e) {
      throw new ProtocolException(
          e.reason() == Reason.INTEGRITY ? Reason.MALFORMED : e.reason(),
          e.reason() == Reason.INTEGRITY
              ? "AUTH identity did not open under this connection's handshake key"
                  + " (replayed from another connection, or corrupted)"
              : e.getMessage(),
          e.claimedClientId(),
          e.claimedKeyId(),
          null);
    }
  }

  private Optional<KeyRecord> findRecord(Identity identity) {
    // A client id, or an enrollment token's "token:<16 hex>" (docs/PROTOCOL.md §5.5).
    if (!ClientIds.isValid(identity.clientId())
        && EnrollmentToken.tokenIdOf(identity.clientId()) == null) {
      return Optional.empty();
    }
    return lookup.find(identity.clientId(), identity.keyId());
  }

  /** Checks the proof, doing the same work whether or not the client is known. */
  private byte[] verify(Identity identity, Optional<KeyRecord> record, byte[] authMessage)
      throws ProtocolException {
    Verifier verifier = record.map(KeyRecord::verifier).orElse(dummy);
    byte[] clientKey = verifier.verifyProof(authMessage, identity.proof());
    if (record.isEmpty()) {
      throw reject(Reason.UNKNOWN_CLIENT, "no such client id or key id", identity);
    }
    if (clientKey == null) {
      throw reject(Reason.BAD_PROOF, "the client proof does not verify", identity);
    }
    return switch (record.get().status()) {
      case ACTIVE -> clientKey;
      case REVOKED -> throw reject(Reason.REVOKED_KEY, "the key is revoked", identity);
      case EXPIRED ->
          throw reject(
              Reason.EXPIRED_KEY,
              "the key expired (its grace period ended, or the client's --expires passed)",
              identity);
      case PENDING ->
          throw reject(
              Reason.PENDING_APPROVAL, "the client waits for an operator's keys approve", identity);
      case REPLACED ->
          throw reject(
              Reason.CLONE_SUSPECTED,
              "a replaced key was used after its successor: two holders of one credential",
              identity);
      case LOCKED ->
          throw reject(
              Reason.CLONE_SUSPECTED,
              "the client id is locked: a replaced key was used after its successor",
              identity);
    };
  }

  private static ProtocolException reject(Reason reason, String detail, Identity identity) {
    return new ProtocolException(reason, detail, identity.clientId(), identity.keyId(), null);
  }

  private byte[] welcome(
      KeySchedule schedule, Verifier verifier, byte[] authMessage, RotationAsk rotation) {
    byte[] id = serverId.getBytes(StandardCharsets.UTF_8);
    int announced = hostKeys.next().size() + hostKeys.retired().size() + (rotation == null ? 0 : 1);
    ByteBuffer plainBuffer =
        ByteBuffer.allocate(
                Digests.SHA256_BYTES + 1 + id.length + 1 + announced * Welcome.ANNOUNCEMENT_BYTES)
            .put(verifier.serverSignature(authMessage))
            .put((byte) id.length)
            .put(id)
            .put((byte) announced);
    for (HostPublicKey next : hostKeys.next()) {
      plainBuffer.put(Welcome.NEXT_KEY).put(next.bytes());
    }
    for (String retired : hostKeys.retired()) {
      plainBuffer.put(Welcome.RETIRED_KEY).put(HostPublicKey.hashOfFingerprint(retired));
    }
    if (rotation != null) {
      long refuseAfter =
          rotation.refuseAfter() == null ? 0 : Math.max(1, rotation.refuseAfter().getEpochSecond());
      plainBuffer.put(Welcome.ROTATE_KEY).putLong(refuseAfter).put(new byte[24]);
    }
    byte[] plain = plainBuffer.array();
    byte[] header = FrameCodec.header(FrameType.WELCOME, plain.length + FrameSealer.TAG_BYTES);
    byte[] sealed = new FrameSealer(schedule.handshakeServerToClient()).seal(header, plain);
    return FrameCodec.encode(FrameType.WELCOME, sealed);
  }

  /** The REFUSED frame for a failure: identical bytes for every authentication failure. */
  public static byte[] refusalFrame(Reason reason) {
    return refusalFrame(new Refusal(Refusal.Code.forReason(reason)));
  }

  /** The REFUSED frame for {@code refusal}. */
  public static byte[] refusalFrame(Refusal refusal) {
    return FrameCodec.encode(FrameType.REFUSED, refusal.encode());
  }

  /** Checks a server id fits the WELCOME layout. */
  public static boolean isValidServerId(String serverId) {
    int length = serverId.getBytes(StandardCharsets.UTF_8).length;
    return length >= 1 && length <= 255;
  }

  /**
   * A verified client.
   *
   * @param clientId the authenticated client id
   * @param keyId the key it used
   * @param welcomeFrame the WELCOME frame to send, in one array
   * @param keys the session keys
   * @param rotationAsked whether WELCOME asked the client to rotate its key in this session
   */
  public record Accepted(
      String clientId, String keyId, byte[] welcomeFrame, SessionKeys keys, boolean rotationAsked) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Accepted a
          && a.clientId.equals(clientId)
          && a.keyId.equals(keyId)
          && Arrays.equals(a.welcomeFrame, welcomeFrame);
    }

    @Override
    public int hashCode() {
      return clientId.hashCode() * 31 + keyId.hashCode();
    }

    @Override
    public String toString() {
      return "Accepted[" + clientId + ", key " + keyId + "]";
    }
  }
}
